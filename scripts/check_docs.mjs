#!/usr/bin/env node
// Every symbol exported by mod.ts and emulator.ts has JSDoc with an @example
// (JSR renders them). Reads `deno doc --json`; prints what lacks one.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const r = spawnSync(join(root, "node_modules", "deno", "deno"), ["doc", "--json", "mod.ts", "emulator.ts"], {
  cwd: root,
  encoding: "utf8",
  maxBuffer: 64 * 1024 * 1024,
});
if (r.status !== 0) {
  console.error(r.stderr);
  process.exit(1);
}
const missing = [];
let count = 0;
for (const [file, { symbols }] of Object.entries(JSON.parse(r.stdout).nodes)) {
  for (const symbol of symbols) {
    count++;
    const docs = symbol.declarations.map((d) => d.jsDoc).filter(Boolean);
    const hasExample = docs.some((doc) => (doc.tags ?? []).some((t) => t.kind === "example"));
    if (!hasExample) missing.push(`${file.replace(/^.*\//, "")}: ${symbol.name} (${symbol.declarations[0]?.kind})`);
  }
}
if (missing.length) {
  console.log(`${missing.length} of ${count} exports have no @example:\n  ${missing.join("\n  ")}`);
  process.exit(1);
}
console.log(`all ${count} exports have JSDoc with an @example`);
