/**
 * The text of one generated function (see emit.ts): numbered names and labels, constants passed
 * in an array rather than written as source text, indented lines, and the prelude that binds the
 * runtime helpers (`H`) and the constants (`K`).
 */
import { runtime } from "./runtime.js";

/** Writes the source of one generated function; RuleEmitter writes rules with it. */
export class SourceWriter {
  /** The values generated code reads as `c<i>`. */
  readonly constants: unknown[] = [];
  private readonly constantIds = new Map<unknown, number>();
  private readonly lines: string[] = [];
  private indent = "";
  /** Numbers every generated name and label: no identifier comes from policy text. */
  protected counter = 0;

  /** The name generated code reads a constant by (the same value gets one name). */
  protected constant(v: unknown): string {
    let id = this.constantIds.get(v);
    if (id === undefined) {
      id = this.constants.length;
      this.constants.push(v);
      this.constantIds.set(v, id);
    }
    return `c${id}`;
  }

  protected name(prefix: "t" | "n" | "e" | "ok" | "m" | "f"): string {
    return `${prefix}${this.counter++}`;
  }

  protected label(prefix: "V" | "N" | "E" | "B" | "C" | "X" | "R"): string {
    return `${prefix}${this.counter++}`;
  }

  protected line(s: string): void {
    this.lines.push(this.indent + s);
  }

  protected open(s: string): void {
    this.line(s);
    this.indent += "  ";
  }

  protected close(s: string): void {
    this.indent = this.indent.slice(2);
    this.line(s);
  }

  /** The function body: the prelude, then the lines written. */
  protected source(): string {
    const prelude = [
      '"use strict";',
      `const { ${Object.keys(runtime()).join(", ")} } = H;`,
      ...this.constants.map((_, i) => `const c${i} = K[${i}];`),
    ];
    return `${prelude.join("\n")}\n${this.lines.join("\n")}\n`;
  }
}
