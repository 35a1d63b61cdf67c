// The repository root, found from this file whether it runs as TypeScript
// (Deno, Bun) or compiled into build/ (Node).
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("package.json not found above the tests");
    dir = parent;
  }
  return dir;
}
