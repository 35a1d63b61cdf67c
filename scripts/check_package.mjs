#!/usr/bin/env node
// Packaging checks, run by `npm test` after the three runtimes (and alone by
// `npm run check:package`): build the npm package, lint it with publint and
// @arethetypeswrong/cli, pack it, install the tarball into throwaway projects
// with npm and with Bun, and in each start the emulator and get a token
// through the installed package. Then Deno's own checks: deno check, deno doc
// --lint, and deno publish --dry-run when JSR is reachable.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const failures = [];

function step(name, command, args, options = {}) {
  process.stdout.write(`\n--- ${name}: ${[command.replace(root + "/", ""), ...args].join(" ")}\n`);
  const r = spawnSync(command, args, {
    cwd: root,
    encoding: "utf8",
    ...options,
    env: { ...process.env, NO_COLOR: "1", ...options.env },
  });
  const output = `${r.stdout ?? ""}${r.stderr ?? ""}`.trim();
  if (output) console.log(output.split("\n").slice(-25).join("\n"));
  const ok = r.status === 0 && (!options.expect || options.expect.test(output));
  if (!ok) failures.push(name);
  console.log(ok ? `--- ${name}: ok` : `--- ${name}: FAILED (exit ${r.status ?? r.error?.message})`);
  return { ok, output };
}

// A consumer script: imports the installed package by name, gets a token from its emulator.
const consumer = `
import { ManagedIdentityApplication, ResourceCaller } from "mtls-pop";
import { startEmulator } from "mtls-pop/emulator";
const emu = await startEmulator();
const app = new ManagedIdentityApplication({ imdsEndpoint: emu.imdsEndpoint, caCertificates: emu.caCertificatePem });
const result = await app.acquireToken({ resource: new URL(emu.resourceUrl).origin });
const caller = new ResourceCaller(result, { caCertificates: emu.caCertificatePem });
const body = JSON.parse(await caller.callResource(emu.resourceUrl));
await caller.close();
await app.close();
await emu.close();
console.log("consumer:", result.tokenType, result.tokenSource, "resource ok=" + body.ok);
`;

if (!process.argv.includes("--no-build")) {
  step("build npm/", process.execPath, [
    join(root, "scripts", "run_deno.mjs"),
    "run",
    "--allow-all",
    "scripts/build_npm.ts",
  ]);
}
step("publint", bin("publint"), ["npm", "--strict"], { expect: /All good/ });
step("arethetypeswrong", bin("attw"), ["--pack", "npm", "--profile", "esm-only"]);

const work = mkdtempSync(join(tmpdir(), "mtls-pop-pack-"));
try {
  const packed = step("npm pack", "npm", ["pack", "--pack-destination", work], { cwd: join(root, "npm") });
  const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"));
  if (packed.ok && tarball) {
    for (const manager of ["npm", "bun"]) {
      const project = join(work, `with-${manager}`);
      spawnSync("mkdir", ["-p", project]);
      writeFileSync(
        join(project, "package.json"),
        JSON.stringify({ name: `consumer-${manager}`, private: true, type: "module" }),
      );
      writeFileSync(join(project, "consumer.mjs"), consumer);
      const install = manager === "npm"
        ? step(`npm install the tarball`, "npm", ["install", "--no-audit", "--no-fund", join(work, tarball)], {
          cwd: project,
        })
        : step(`bun add the tarball`, bin("bun"), ["add", join(work, tarball)], { cwd: project });
      if (!install.ok) continue;
      const runtime = manager === "npm" ? process.execPath : bin("bun");
      step(`${manager} project imports the package and gets a token`, runtime, ["consumer.mjs"], {
        cwd: project,
        expect: /consumer: mtls_pop IdentityProvider resource ok=true/,
      });
      step(
        `${manager} project runs the mtls-pop bin`,
        join(project, "node_modules", ".bin", "mtls-pop"),
        ["--version"],
        {
          cwd: project,
          expect: /^0\.|mtls-pop 0\./m,
        },
      );
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

step("deno check", process.execPath, [join(root, "scripts", "run_deno.mjs"), "check", "mod.ts", "emulator.ts"]);
step("every export has JSDoc with an @example", process.execPath, [join(root, "scripts", "check_docs.mjs")]);
step("deno doc --lint", process.execPath, [
  join(root, "scripts", "run_deno.mjs"),
  "doc",
  "--lint",
  "--quiet",
  "mod.ts",
  "emulator.ts",
]);
const publish = spawnSync(bin("deno"), ["publish", "--dry-run", "--allow-dirty"], {
  cwd: root,
  encoding: "utf8",
  timeout: 60_000,
});
const publishOutput = `${publish.stdout}${publish.stderr}`;
if (publish.status === 0) console.log("\n--- deno publish --dry-run: ok");
else if (/jsr\.io|error sending request|dns error|tcp connect|network/i.test(publishOutput)) {
  console.log(
    "\n--- deno publish --dry-run: skipped, JSR is not reachable from this machine (see README, Contributing)",
  );
} else {
  console.log(publishOutput.split("\n").slice(-20).join("\n"));
  failures.push("deno publish --dry-run");
}

console.log(failures.length ? `\npackaging checks FAILED: ${failures.join(", ")}` : "\npackaging checks: all ok");
process.exit(failures.length ? 1 : 0);
