#!/usr/bin/env node
// Runs the one test suite on Deno, Bun and Node (or the stages named as
// arguments), lets each print its own summary, then the packaging checks,
// then prints one line per stage and fails if any failed. Plain JavaScript so that Node 20, which
// cannot run TypeScript, can start it; Node runs the suite compiled by tsc
// into build/.
import { spawnSync } from "node:child_process";
import { cpSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);

function run(command, args) {
  const r = spawnSync(command, args, { cwd: root, stdio: "inherit", env: { ...process.env, NO_COLOR: "1" } });
  if (r.error) console.error(`cannot run ${command}: ${r.error.message}`);
  return r.status ?? 1;
}

const results = [];
const runtimes = {
  deno: () => run(bin("deno"), ["test", "--allow-all", "--no-prompt", "tests/"]),
  bun: () => run(bin("bun"), ["test", "--timeout", "120000"]),
  node: () => {
    // Node runs the suite against the npm package itself: build npm/, compile
    // the tests, then put npm/'s files where the tests import the library from.
    const packaged = run(process.execPath, [
      join(root, "scripts", "run_deno.mjs"),
      "run",
      "--allow-all",
      "scripts/build_npm.ts",
    ]);
    if (packaged !== 0) return packaged;
    rmSync(join(root, "build"), { recursive: true, force: true });
    const built = run(bin("tsc"), ["-p", "tsconfig.json"]);
    if (built !== 0) return built;
    for (const entry of ["mod.js", "emulator.js", "src"]) {
      cpSync(join(root, "npm", entry), join(root, "build", entry), { recursive: true, force: true });
    }
    const files = readdirSync(join(root, "build", "tests")).filter((f) => f.endsWith(".test.js")).map((f) =>
      join("build", "tests", f)
    );
    return run(process.execPath, ["--test", "--test-reporter=spec", "--test-timeout=120000", ...files]);
  },
  // Not a runtime: the npm package built by the node stage, linted, packed,
  // installed with npm and Bun, and Deno's publishing checks.
  package: () =>
    run(process.execPath, [
      join(root, "scripts", "check_package.mjs"),
      ...(results.some((r) => r.name === "node" && r.status === 0) ? ["--no-build"] : []),
    ]),
};

const chosen = process.argv.slice(2);
for (const name of chosen) {
  if (!(name in runtimes)) {
    console.error(`unknown runtime ${name}; choose from ${Object.keys(runtimes).join(", ")}`);
    process.exit(2);
  }
}
for (const name of chosen.length ? chosen : Object.keys(runtimes)) {
  console.log(`\n===== ${name}: ${name === "package" ? "packaging checks" : "the test suite"} =====\n`);
  const started = Date.now();
  const status = runtimes[name]();
  results.push({ name, status, seconds: ((Date.now() - started) / 1000).toFixed(1) });
}
console.log("\n===== summary =====");
for (const { name, status, seconds } of results) {
  console.log(`${name.padEnd(7)} ${status === 0 ? "PASS" : `FAIL (exit ${status})`}  ${seconds}s`);
}
process.exit(results.every((r) => r.status === 0) ? 0 : 1);
