// Builds the npm package into npm/: tsc compiles mod.ts and src/ to ESM with
// declarations (rewriting the .ts import extensions), then a package.json,
// README and LICENSE are written next to it. This is what dnt would do; dnt
// lives only on JSR, which these machines cannot reach.
//
//   deno run -A scripts/build_npm.ts     (npm run build)
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "npm");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

rmSync(out, { recursive: true, force: true });
const tsc = spawnSync(join(root, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.build.json"], {
  cwd: root,
  stdio: "inherit",
});
if (tsc.status !== 0) {
  console.error("tsc failed");
  process.exit(1);
}

const entry = (name: string) => ({ types: `./${name}.d.ts`, import: `./${name}.js`, default: `./${name}.js` });
const exportsMap: Record<string, unknown> = { ".": entry("mod"), "./package.json": "./package.json" };
if (existsSync(join(out, "emulator.js"))) exportsMap["./emulator"] = entry("emulator");

const manifest: Record<string, unknown> = {
  name: pkg.name,
  version: pkg.version,
  description: pkg.description,
  license: pkg.license,
  type: "module",
  engines: { node: ">=20" },
  sideEffects: false,
  main: "./mod.js",
  types: "./mod.d.ts",
  exports: exportsMap,
  dependencies: pkg.dependencies,
  keywords: ["entra", "msal", "mtls", "proof-of-possession", "rfc8705", "managed-identity", "imds", "deno", "bun"],
};
if (existsSync(join(out, "src", "cli", "main.js"))) manifest.bin = { "mtls-pop": "./src/cli/main.js" };
writeFileSync(join(out, "package.json"), JSON.stringify(manifest, null, 2) + "\n");
for (const file of ["README.md", "LICENSE"]) copyFileSync(join(root, file), join(out, file));
console.log(`built ${out}`);
