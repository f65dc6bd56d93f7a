/**
 * The development identity provider's demo users: a built-in default directory (teams matching the
 * groups of policies/example/data.json) or a YAML/JSON file validated with zod, and the password
 * check the login form uses.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

/** One demo user: `username` logs in, `sub` is the subject in tokens (defaults to the username). */
export interface DevUser {
  username: string;
  password: string;
  sub: string;
  email: string;
  name: string;
  groups: string[];
}

/** A users file or an embedded directory is invalid (the message says where). */
export class DevIdpUsersError extends Error {
  override name = "DevIdpUsersError";
}

const GROUP = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;

const userSchema = z
  .object({
    username: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, "must be 1-64 lowercase letters, digits, '.', '_' or '-'"),
    password: z.string().min(1).max(256),
    sub: z.string().min(1).max(255).optional(),
    email: z.email().optional(),
    name: z.string().min(1).max(200).optional(),
    groups: z.array(z.string().regex(GROUP, "must be a group name (letters, digits, . _ : / -)")).max(100).default([]),
  })
  .strict();

const usersFileSchema = z
  .object({ users: z.array(userSchema).min(1).max(1000) })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    const subs = new Set<string>();
    file.users.forEach((u, i) => {
      if (seen.has(u.username)) ctx.addIssue({ code: "custom", path: ["users", i, "username"], message: "duplicate" });
      seen.add(u.username);
      const sub = u.sub ?? u.username;
      if (subs.has(sub)) ctx.addIssue({ code: "custom", path: ["users", i, "sub"], message: "duplicate subject" });
      subs.add(sub);
    });
  });

/**
 * The built-in directory. Groups are the example policy's groups (policies/example/data.json), so
 * each user sees a different tool list; dave belongs to no group and sees nothing. The password is
 * the username: these are demo accounts on a loopback-only development server.
 */
export const DEFAULT_USERS: readonly DevUser[] = [
  user("alice", "Alice Engineer", ["engineering"]),
  user("bob", "Bob Support", ["support"]),
  user("carol", "Carol Auditor", ["auditors"]),
  user("erin", "Erin Notes-Admin", ["notes-admins"]),
  // The team profiles of docs/teams.md, with SSO-style group names that data.sso_groups maps to teams.
  user("sam", "Sam Sales", ["sso-sales"]),
  user("fiona", "Fiona Finance", ["sso-finance"]),
  user("dave", "Dave Nobody", []),
];

function user(username: string, name: string, groups: string[]): DevUser {
  return { username, password: username, sub: username, email: `${username}@example.com`, name, groups };
}

/** Parses a users document (already decoded from YAML/JSON); throws DevIdpUsersError when invalid. */
export function parseUsers(raw: unknown, source = "users"): DevUser[] {
  const parsed = usersFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join(".") : "(root)";
    throw new DevIdpUsersError(`${source}: ${where}: ${issue?.message ?? "invalid"}`);
  }
  return parsed.data.users.map((u) => ({
    username: u.username,
    password: u.password,
    sub: u.sub ?? u.username,
    email: u.email ?? `${u.username}@example.com`,
    name: u.name ?? u.username,
    groups: u.groups,
  }));
}

/** Reads and validates a users file (YAML or JSON: `users: [{username, password, groups, ...}]`). */
export function loadUsersFile(file: string): DevUser[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new DevIdpUsersError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? "error"})`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text, { maxAliasCount: 100 });
  } catch (e) {
    throw new DevIdpUsersError(`${file}: not valid YAML/JSON (${e instanceof Error ? e.message.split("\n")[0] : e})`);
  }
  return parseUsers(raw, file);
}

/** The demo users, looked up by username (login) and by subject (token claims). */
export class UserDirectory {
  readonly #byUsername = new Map<string, DevUser>();
  readonly #bySub = new Map<string, DevUser>();

  constructor(readonly users: readonly DevUser[]) {
    for (const u of users) {
      this.#byUsername.set(u.username, u);
      this.#bySub.set(u.sub, u);
    }
  }

  /** The user with this subject, if any. */
  bySub(sub: string): DevUser | undefined {
    return this.#bySub.get(sub);
  }

  /** The user when username and password match; compares digests in constant time. */
  authenticate(username: string, password: string): DevUser | undefined {
    const found = this.#byUsername.get(username);
    // Hash both sides so the comparison length does not depend on the input.
    const expected = digest(found?.password ?? "\u0000no-such-user");
    const ok = timingSafeEqual(expected, digest(password));
    return ok && found ? found : undefined;
  }
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s, "utf8").digest();
}
