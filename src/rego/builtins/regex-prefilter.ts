/**
 * A sound, cheap test that rules out most non-matching inputs of `regex.match` before re2js runs:
 * literals one of which every match must contain. Most policy patterns have one
 * (`(?i)password\s*[=:]` needs "password", `(?i)\b(drop|truncate)\b` needs "drop" or "truncate"),
 * and most inputs contain none, so the answer is `false` after an `indexOf` per literal.
 *
 * Only a conservative subset of RE2 syntax is analysed; anything else (Unicode classes, `\Q..\E`,
 * flags after the start, escapes beyond the common ones) gets no prefilter, and the pattern always
 * runs through re2js. A prefilter never decides a match: when a literal is present, re2js does.
 */

/** Literals one of which every match contains; lowercase when `foldCase` (compared to lowercased input). */
export interface RegexPrefilter {
  readonly anyOf: readonly string[];
  readonly foldCase: boolean;
  /**
   * RE2's case folding follows Unicode's orbits, where two non-ASCII characters fold to ASCII
   * letters: U+212A KELVIN SIGN to k and U+017F LONG S to s. Set when a folded literal has k or s:
   * input with those characters then always runs the regex.
   */
  readonly foldsNonAscii: boolean;
}

/** More alternatives than this cost more to test than re2js saves. */
const MAX_ALTERNATIVES = 8;

/** The pattern is outside the analysed subset: no prefilter. */
class Unsupported extends Error {}

/** One alternative set of literals (a match contains one of them), or null when nothing is required. */
type Requirement = string[] | null;

/** The prefilter of a valid RE2 pattern, or undefined when none is known to be sound. */
export function regexPrefilter(pattern: string): RegexPrefilter | undefined {
  try {
    const parser = new PatternParser(pattern);
    const required = parser.parse();
    if (required === null || required.some((s) => s.length === 0)) return undefined;
    const foldCase = parser.foldCase;
    const anyOf = foldCase ? [...new Set(required.map((s) => s.toLowerCase()))] : required;
    return { anyOf, foldCase, foldsNonAscii: foldCase && anyOf.some((s) => /[ks]/.test(s)) };
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    throw e;
  }
}

/** False only when no match is possible; true means "run the regex". */
export function mayMatch(prefilter: RegexPrefilter, s: string): boolean {
  let subject = s;
  if (prefilter.foldCase) {
    if (prefilter.foldsNonAscii && (s.includes("\u212A") || s.includes("\u017F"))) return true;
    // Otherwise a folded ASCII literal matches only ASCII letters of either case (and other
    // characters as themselves), and lowercasing maps each of those characters on its own: a match
    // stays a contiguous run of the lowercased input. (Spurious runs only cost a regex run.)
    subject = s.toLowerCase();
  }
  const anyOf = prefilter.anyOf;
  for (let i = 0; i < anyOf.length; i++) if (subject.includes(anyOf[i] as string)) return true;
  return false;
}

/** Escapes that match no literal text: classes and zero-width assertions. */
const NON_LITERAL_ESCAPES = new Set(["d", "D", "s", "S", "w", "W", "b", "B", "A", "z"]);

/** Recursive descent over the subset; throws Unsupported outside it. */
class PatternParser {
  private pos = 0;
  foldCase = false;

  constructor(private readonly src: string) {}

  parse(): Requirement {
    this.leadingFlags();
    const required = this.alternation();
    if (this.pos !== this.src.length) throw new Unsupported();
    return required;
  }

  /** `(?flags)` at the very start only; `i` folds case, `m`, `s` and `U` change no literal. */
  private leadingFlags(): void {
    const m = /^\(\?([imsU]+)\)/.exec(this.src);
    if (!m) return;
    this.foldCase = (m[1] as string).includes("i");
    this.pos = m[0].length;
  }

  /** `a|b|c`: a match contains a literal of one alternative, so every alternative must require one. */
  private alternation(): Requirement {
    let union: string[] | null = [];
    for (;;) {
      // Every alternative is parsed, even after one requires nothing, to reach the closing `)`.
      const required = this.concatenation();
      if (union !== null) union = required === null ? null : union.concat(required);
      if (this.src[this.pos] !== "|") break;
      this.pos++;
    }
    return union === null || union.length > MAX_ALTERNATIVES ? null : union;
  }

  /** A sequence of atoms: each unquantified literal run, and each required group, is necessary. */
  private concatenation(): Requirement {
    const factors: string[][] = [];
    let run = "";
    const flush = (): void => {
      if (run.length > 0) factors.push([run]);
      run = "";
    };
    for (;;) {
      const c = this.src[this.pos];
      if (c === undefined || c === "|" || c === ")") break;
      let literal: string | undefined;
      let group: Requirement = null;
      if (c === "\\") {
        const next = this.src[this.pos + 1];
        if (next === undefined) throw new Unsupported();
        this.pos += 2;
        if (/[!-/:-@[-`{-~]/.test(next)) literal = next;
        else if (!NON_LITERAL_ESCAPES.has(next)) throw new Unsupported();
      } else if (c === "[") {
        this.skipClass();
      } else if (c === "(") {
        group = this.group();
      } else if (c === "*" || c === "+" || c === "?" || c === "{") {
        throw new Unsupported();
      } else {
        const code = this.src.codePointAt(this.pos) as number;
        this.pos += code > 0xffff ? 2 : 1;
        // `.`, `^`, `$`, and characters outside printable ASCII: matched, but not a tracked literal.
        if (code >= 0x20 && code < 0x7f && c !== "." && c !== "^" && c !== "$") literal = c;
      }
      const min = this.quantifier();
      if (literal !== undefined && min < 0) {
        run += literal;
        continue;
      }
      // A quantifier binds to this atom alone, so it is not part of the run before it.
      flush();
      if (group !== null && min !== 0) factors.push(group);
    }
    flush();
    return best(factors);
  }

  /** `(...)`, `(?:...)`, `(?P<name>...)`, `(?<name>...)`. */
  private group(): Requirement {
    this.pos++;
    if (this.src[this.pos] === "?") {
      const m = /^\?(?::|P?<[A-Za-z0-9_]+>)/.exec(this.src.slice(this.pos));
      if (!m) throw new Unsupported();
      this.pos += m[0].length;
    }
    const required = this.alternation();
    if (this.src[this.pos] !== ")") throw new Unsupported();
    this.pos++;
    return required;
  }

  /** Skips a `[...]` class: a leading `]` (after an optional `^`) is literal, `[:name:]` nests. */
  private skipClass(): void {
    let i = this.pos + 1;
    if (this.src[i] === "^") i++;
    if (this.src[i] === "]") i++;
    for (; i < this.src.length; i++) {
      const c = this.src[i];
      if (c === "\\") i++;
      else if (c === "[" && this.src[i + 1] === ":") {
        const end = this.src.indexOf(":]", i + 2);
        if (end < 0) throw new Unsupported();
        i = end + 1;
      } else if (c === "]") {
        this.pos = i + 1;
        return;
      }
    }
    throw new Unsupported();
  }

  /** Reads a quantifier after an atom: its minimum count, or -1 when there is none. */
  private quantifier(): number {
    const c = this.src[this.pos];
    let min: number;
    if (c === "*" || c === "?") {
      min = 0;
      this.pos++;
    } else if (c === "+") {
      min = 1;
      this.pos++;
    } else if (c === "{") {
      const m = /^\{(\d+)(?:,\d*)?\}/.exec(this.src.slice(this.pos));
      // RE2 reads a `{` that starts no repetition as a literal; not worth following.
      if (!m) throw new Unsupported();
      min = Number(m[1]);
      this.pos += m[0].length;
    } else {
      return -1;
    }
    if (this.src[this.pos] === "?") this.pos++;
    return min;
  }
}

/** The most selective necessary factor: fewest alternatives, then the longest shortest literal. */
function best(factors: string[][]): Requirement {
  let chosen: string[] | null = null;
  let chosenScore = -1;
  for (const f of factors) {
    const shortest = Math.min(...f.map((s) => s.length));
    const score = shortest * 16 - f.length;
    if (score > chosenScore) {
      chosen = f;
      chosenScore = score;
    }
  }
  return chosen;
}
