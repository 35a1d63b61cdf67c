/**
 * Output shapes shared by the commands: aligned `label  value` blocks for
 * people, and JSON for programs.
 *
 * @module
 */

/** One row of a human-readable block; a nested list of rows is indented under its label. */
export type Field = readonly [label: string, value: string | readonly Field[] | undefined];

/** Width of the label column, so that values line up across a block. */
const LABEL_WIDTH = 22;

/**
 * Renders rows as aligned `label  value` lines; rows whose value is
 * `undefined` are left out, nested rows are indented by two spaces.
 *
 * @example
 * ```ts
 * renderFields([["token type", "mtls_pop"], ["binding certificate", [["thumbprint", "AB12..."]]]]);
 * // "token type            mtls_pop\nbinding certificate\n  thumbprint          AB12...\n"
 * ```
 */
export function renderFields(fields: readonly Field[], indent = ""): string {
  let text = "";
  for (const [label, value] of fields) {
    if (value === undefined) continue;
    if (typeof value === "string") {
      text += `${indent}${label.padEnd(LABEL_WIDTH - indent.length)}${value}\n`;
    } else {
      text += `${indent}${label}\n${renderFields(value, indent + "  ")}`;
    }
  }
  return text;
}

/**
 * Pretty-printed JSON with a final newline; members whose value is
 * `undefined` are left out, as `JSON.stringify` does.
 */
export function renderJson(value: unknown): string {
  return JSON.stringify(value, null, 2) + "\n";
}

/**
 * Quotes a word for a POSIX shell when it needs it, so that printed command
 * lines can be pasted as they are.
 *
 * @example
 * ```ts
 * shellQuote("/tmp/a b/c.pem"); // "'/tmp/a b/c.pem'"
 * ```
 */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
