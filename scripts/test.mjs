#!/usr/bin/env node
// Runs the one test suite on Deno, Bun and Node (or the runtimes named as
// arguments), lets each print its own summary, then prints one line per
// runtime and fails if any failed. Plain JavaScript so that Node 20, which
// cannot run TypeScript, can start it; Node runs the suite compiled by tsc
// into build/.
import { spawnSync } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);

function run(command, args) {
  const r = spawnSync(command, args, { cwd: root, stdio: "inherit", env: { ...process.env, NO_COLOR: "1" } });
  if (r.error) console.error(`cannot run ${command}: ${r.error.message}`);
  return r.status ?? 1;
}

const runtimes = {
  deno: () => run(bin("deno"), ["test", "--allow-all", "--no-prompt", "tests/"]),
  bun: () => run(bin("bun"), ["test"]),
  node: () => {
    rmSync(join(root, "build"), { recursive: true, force: true });
    const built = run(bin("tsc"), ["-p", "tsconfig.json"]);
    if (built !== 0) return built;
    const files = readdirSync(join(root, "build", "tests")).filter((f) => f.endsWith(".test.js")).map((f) => join("build", "tests", f));
    return run(process.execPath, ["--test", "--test-reporter=spec", ...files]);
  },
};

const chosen = process.argv.slice(2);
for (const name of chosen) {
  if (!(name in runtimes)) {
    console.error(`unknown runtime ${name}; choose from ${Object.keys(runtimes).join(", ")}`);
    process.exit(2);
  }
}
const results = [];
for (const name of chosen.length ? chosen : Object.keys(runtimes)) {
  console.log(`\n===== ${name}: the test suite =====\n`);
  const started = Date.now();
  const status = runtimes[name]();
  results.push({ name, status, seconds: ((Date.now() - started) / 1000).toFixed(1) });
}
console.log("\n===== summary =====");
for (const { name, status, seconds } of results) console.log(`${name.padEnd(5)} ${status === 0 ? "PASS" : `FAIL (exit ${status})`}  ${seconds}s`);
process.exit(results.every((r) => r.status === 0) ? 0 : 1);
