// src/core must run anywhere WebCrypto runs: no runtime API in it.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { repoRoot } from "./helpers/paths.ts";

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []
  );
}

const RUNTIME_API = [
  { what: "a node: import", pattern: /from\s+["']node:|import\(\s*["']node:|require\(\s*["']node:/ },
  { what: "the Deno namespace", pattern: /\bDeno\./ },
  { what: "the Bun namespace", pattern: /\bBun\./ },
  { what: "Buffer", pattern: /\bBuffer\b/ },
  { what: "process", pattern: /\bprocess\./ },
];

describe("architecture", () => {
  it("src/core uses no Node, Deno or Bun API", () => {
    const root = repoRoot();
    const files = filesUnder(join(root, "src", "core"));
    assert.ok(files.length >= 5, "src/core has its files");
    const hits: string[] = [];
    for (const file of files) {
      readFileSync(file, "utf8").split("\n").forEach((line, i) => {
        for (const { what, pattern } of RUNTIME_API) {
          if (pattern.test(line)) hits.push(`${relative(root, file)}:${i + 1} uses ${what}: ${line.trim()}`);
        }
      });
    }
    assert.deepEqual(hits, []);
  });

  it("the check itself catches a runtime API", () => {
    const sample = 'import { readFile } from "node:fs";\nDeno.readFile("x");\nBun.file("x");';
    for (const { pattern } of RUNTIME_API.slice(0, 3)) assert.ok(pattern.test(sample));
  });
});
