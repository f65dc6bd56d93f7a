/**
 * The demo server's in-memory notes: a tiny fake service whose tools have honest side effects
 * (create adds a note, delete removes one) so a gateway demo can show policy on reads vs writes.
 */

/** One note. */
export interface Note {
  id: string;
  title: string;
  body: string;
  tags: string[];
  createdAt: string;
}

/** What a caller supplies to create a note. */
export interface NewNote {
  title: string;
  body: string;
  tags?: string[];
}

/** The notes every fresh store starts with; note 3 is the one the example policy treats as sensitive. */
const SEED_NOTES: readonly NewNote[] = [
  { title: "Welcome", body: "This is the Portcullis demo notes service.", tags: ["demo"] },
  { title: "Release checklist", body: "Run npm test, tag the release, publish the bundle.", tags: ["engineering"] },
  { title: "Salary review", body: "Confidential: compensation notes for the HR team.", tags: ["hr", "pii"] },
];

/** An in-memory notes collection, shared by every session of one demo server process. */
export class NotesStore {
  private readonly notes = new Map<string, Note>();
  private nextId = 1;

  constructor(
    seed: readonly NewNote[] = SEED_NOTES,
    private readonly now: () => Date = () => new Date(),
  ) {
    for (const note of seed) this.create(note);
  }

  /** All notes, oldest first. */
  list(): Note[] {
    return [...this.notes.values()];
  }

  /** The note with this id, or undefined. */
  get(id: string): Note | undefined {
    return this.notes.get(id);
  }

  /** Notes whose title, body or tags contain `query` (case-insensitive), at most `limit` of them. */
  search(query: string, limit: number): Note[] {
    const needle = query.toLowerCase();
    return this.list()
      .filter(
        (note) =>
          note.title.toLowerCase().includes(needle) ||
          note.body.toLowerCase().includes(needle) ||
          note.tags.some((tag) => tag.toLowerCase().includes(needle)),
      )
      .slice(0, limit);
  }

  /** Adds a note and returns it. */
  create(input: NewNote): Note {
    const note: Note = {
      id: String(this.nextId++),
      title: input.title,
      body: input.body,
      tags: [...(input.tags ?? [])],
      createdAt: this.now().toISOString(),
    };
    this.notes.set(note.id, note);
    return note;
  }

  /** Removes a note; returns whether it existed. */
  delete(id: string): boolean {
    return this.notes.delete(id);
  }
}
