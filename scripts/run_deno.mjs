#!/usr/bin/env node
// Runs the Deno that npm installed (node_modules/deno/deno) with the given
// arguments; used where a script needs Deno but must start from Node.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const r = spawnSync(join(root, "node_modules", "deno", "deno"), process.argv.slice(2), { cwd: root, stdio: "inherit" });
if (r.error) console.error(`cannot run deno: ${r.error.message}`);
process.exit(r.status ?? 1);
