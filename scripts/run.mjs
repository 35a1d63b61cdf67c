#!/usr/bin/env node
// Runs a TypeScript script of scripts/ on the runtime that asked for it:
//   npm run <name>   -> compiled by tsc into build/, run by Node 20
//   bun run <name>   -> run by Bun directly
// (deno task <name> runs the .ts file with Deno itself; see deno.json.)
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const [name, ...args] = process.argv.slice(2);
if (!name) {
  console.error("usage: node scripts/run.mjs <script name> [args...]");
  process.exit(2);
}
const viaBun = process.versions.bun !== undefined || (process.env.npm_config_user_agent ?? "").startsWith("bun/");
const run = (command, argv) => {
  const r = spawnSync(command, argv, { cwd: root, stdio: "inherit" });
  if (r.error) {
    console.error(`cannot run ${command}: ${r.error.message}`);
    process.exit(1);
  }
  return r.status ?? 1;
};
if (viaBun) {
  process.exit(
    run(process.versions.bun ? process.execPath : join(root, "node_modules", ".bin", "bun"), [
      join("scripts", `${name}.ts`),
      ...args,
    ]),
  );
}
const built = run(join(root, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.json"]);
if (built !== 0) process.exit(built);
process.exit(run(process.execPath, [join("build", "scripts", `${name}.js`), ...args]));
