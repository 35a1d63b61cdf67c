import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  chmodSync,
  chownSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  type BindingStore,
  defaultBindingStoreDirectory,
  FileBindingStore,
  MsalClientError,
  parseCertificate,
  type StoredBinding,
} from "../mod.ts";
import type { Emulator } from "../emulator.ts";
import { useEmulator } from "./helpers/emulator.ts";
import { emulatorApp } from "./helpers/mi.ts";
import { tempDir } from "./helpers/openssl.ts";
import { runFixture } from "./helpers/runtime.ts";

const POSIX = process.platform !== "win32";
const BINDING_FILE = /^[0-9a-f]{64}\.json$/;

/** A binding as the store sees it: the store checks its shape, the application its cryptography. */
function sampleBinding(tag: string): StoredBinding {
  return {
    certificatePem: `-----BEGIN CERTIFICATE-----\n${tag}\n-----END CERTIFICATE-----\n`,
    privateKeyPem: `-----BEGIN PRIVATE KEY-----\n${tag}\n-----END PRIVATE KEY-----\n`,
    tokenEndpoint: "https://westus3.mtlsauth.microsoft.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token",
    clientId: "4b7a2c1e-0d3f-4e5a-9b6c-7d8e9f0a1b2c",
    tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47",
    attested: false,
  };
}

/** The names in a store directory: binding files, and anything else (temporary files left behind). */
function storeContents(directory: string): { bindings: string[]; others: string[] } {
  const names = readdirSync(directory);
  return { bindings: names.filter((n) => BINDING_FILE.test(n)), others: names.filter((n) => !BINDING_FILE.test(n)) };
}

/** The one binding file of a store directory, parsed. */
function onlyBindingFile(
  directory: string,
): { path: string; json: { format: string; key: string; binding: StoredBinding } } {
  const { bindings, others } = storeContents(directory);
  assert.deepEqual(others, [], "no temporary files left behind");
  assert.equal(bindings.length, 1, `one binding file in ${directory}`);
  const path = join(directory, bindings[0]!);
  return { path, json: JSON.parse(readFileSync(path, "utf8")) };
}

async function x5tOf(certificatePem: string): Promise<string> {
  return (await parseCertificate(certificatePem)).x5tS256;
}

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

const isUnsafe = (e: unknown) => e instanceof MsalClientError && e.errorCode === "binding_store_unsafe";

describe("FileBindingStore: the files", () => {
  it("keeps a binding in a 0600 file named by the key's SHA-256, in a 0700 directory it creates", async () => {
    const tmp = tempDir();
    try {
      const directory = join(tmp.path, "state", "mtls-pop", "bindings");
      const store = new FileBindingStore({ directory });
      const key = "http://169.254.169.254|system|unattested";
      assert.equal(await store.load(key), undefined, "nothing stored yet");
      await store.save(key, { ...sampleBinding("first"), extra: "not a binding field" } as StoredBinding);

      const { path, json } = onlyBindingFile(directory);
      assert.equal(path, join(directory, `${createHash("sha256").update(key).digest("hex")}.json`));
      if (POSIX) {
        assert.equal(mode(directory), 0o700, "directory mode");
        assert.equal(mode(path), 0o600, "file mode");
      }
      assert.equal(json.key, key);
      assert.deepEqual(json.binding, sampleBinding("first"), "only the StoredBinding fields are written");
      assert.deepEqual(await store.load(key), sampleBinding("first"));
      assert.deepEqual(
        await new FileBindingStore({ directory }).load(key),
        sampleBinding("first"),
        "another instance reads it",
      );
      assert.equal(await store.load(`${key}x`), undefined, "another key");

      await store.save(key, sampleBinding("second"));
      assert.deepEqual(await store.load(key), sampleBinding("second"), "a save replaces the binding");
      assert.equal(onlyBindingFile(directory).path, path);
      if (POSIX) assert.equal(mode(path), 0o600);

      await store.remove(key);
      assert.deepEqual(storeContents(directory), { bindings: [], others: [] });
      assert.equal(await store.load(key), undefined);
      await store.remove(key); // already gone: not an error
    } finally {
      tmp.remove();
    }
  });

  it(
    "refuses a directory that others can write, that another user owns, or that is a file",
    { skip: !POSIX },
    async () => {
      const tmp = tempDir();
      try {
        const directory = join(tmp.path, "bindings");
        mkdirSync(directory);
        const store = new FileBindingStore({ directory });
        for (const unsafeMode of [0o777, 0o770, 0o702]) {
          chmodSync(directory, unsafeMode);
          await assert.rejects(store.load("k"), isUnsafe, `mode ${unsafeMode.toString(8)}`);
          await assert.rejects(store.save("k", sampleBinding("x")), isUnsafe);
          await assert.rejects(store.remove("k"), isUnsafe);
        }
        assert.deepEqual(readdirSync(directory), [], "nothing written into an unsafe directory");
        chmodSync(directory, 0o755); // readable by others is allowed: the files themselves are 0600
        await store.save("k", sampleBinding("x"));
        assert.deepEqual(await store.load("k"), sampleBinding("x"));

        let foreign: string;
        if (process.getuid?.() === 0) {
          foreign = join(tmp.path, "foreign");
          mkdirSync(foreign, { mode: 0o700 });
          chownSync(foreign, 65534, 65534);
        } else {
          foreign = "/"; // root's, and this test does not run as root
        }
        await assert.rejects(
          new FileBindingStore({ directory: foreign }).load("k"),
          (e: unknown) => isUnsafe(e) && /belongs to user/.test((e as Error).message),
        );

        const file = join(tmp.path, "a-file");
        writeFileSync(file, "");
        await assert.rejects(new FileBindingStore({ directory: file }).load("k"), isUnsafe);
        assert.throws(() => new FileBindingStore({ directory: "" }), MsalClientError);
      } finally {
        tmp.remove();
      }
    },
  );

  it("reads a damaged, foreign, oversized or loosely permissioned file as absent, and a save repairs it", async () => {
    const tmp = tempDir();
    try {
      const directory = join(tmp.path, "bindings");
      const store = new FileBindingStore({ directory });
      await store.save("k", sampleBinding("good"));
      const { path, json } = onlyBindingFile(directory);
      const damaged: Array<[string, string]> = [
        ["not JSON", "{ this is not json"],
        ["empty", ""],
        ["JSON null", "null"],
        ["another format", JSON.stringify({ ...json, format: "something/else" })],
        ["a file of another key", JSON.stringify({ ...json, key: "another key" })],
        ["a binding of the wrong shape", JSON.stringify({ ...json, binding: { ...json.binding, attested: "no" } })],
        ["no binding", JSON.stringify({ format: json.format, key: json.key })],
        ["oversized", JSON.stringify({ ...json, padding: "x".repeat(100_000) })],
      ];
      for (const [what, text] of damaged) {
        writeFileSync(path, text, { mode: 0o600 });
        assert.equal(await store.load("k"), undefined, what);
      }
      if (POSIX) {
        writeFileSync(path, JSON.stringify(json));
        chmodSync(path, 0o644);
        assert.equal(await store.load("k"), undefined, "a key others could read is not reused");
      }
      await store.save("k", sampleBinding("new"));
      assert.deepEqual(await store.load("k"), sampleBinding("new"));
      if (POSIX) assert.equal(mode(path), 0o600);
    } finally {
      tmp.remove();
    }
  });

  it("concurrent saves, loads and removes from two store objects never expose part of a file", async () => {
    const tmp = tempDir();
    try {
      const directory = join(tmp.path, "bindings");
      const [a, b] = [new FileBindingStore({ directory }), new FileBindingStore({ directory })];
      const versions = [sampleBinding("A".repeat(12_000)), sampleBinding("B".repeat(12_000))];
      await a.save("k", versions[0]!);
      const loads: Array<StoredBinding | undefined> = [];
      await Promise.all(Array.from({ length: 120 }, async (_, i) => {
        const store = i % 2 ? a : b;
        if (i % 3 === 0) loads.push(await store.load("k"));
        else await store.save("k", versions[i % 2]!);
      }));
      for (const loaded of loads) {
        assert.ok(versions.some((v) => JSON.stringify(v) === JSON.stringify(loaded)), "a whole binding");
      }
      assert.ok(versions.some((v) => JSON.stringify(v) === JSON.stringify(onlyBindingFile(directory).json.binding)));

      // A remove racing saves: each finishes, and what is left is nothing or a whole binding.
      await Promise.all(
        Array.from({ length: 30 }, (_, i) => (i % 5 === 0 ? b.remove("k") : a.save("k", versions[i % 2]!))),
      );
      const { bindings, others } = storeContents(directory);
      assert.deepEqual(others, []);
      if (bindings.length) {
        assert.ok(versions.some((v) => JSON.stringify(v) === JSON.stringify(onlyBindingFile(directory).json.binding)));
      }
    } finally {
      tmp.remove();
    }
  });

  it("removes temporary files a dead writer left behind, and only old ones", async () => {
    const tmp = tempDir();
    try {
      const directory = join(tmp.path, "bindings");
      mkdirSync(directory, { mode: 0o700 });
      const hash = "ab".repeat(32);
      const abandoned = join(directory, `${hash}.json.0123456789abcdef.tmp`);
      const inFlight = join(directory, `${hash}.json.fedcba9876543210.tmp`);
      const unrelated = join(directory, "notes.txt");
      for (const path of [abandoned, inFlight, unrelated]) writeFileSync(path, "x", { mode: 0o600 });
      const anHourAgo = new Date(Date.now() - 3600_000);
      utimesSync(abandoned, anHourAgo, anHourAgo);
      utimesSync(unrelated, anHourAgo, anHourAgo);
      await new FileBindingStore({ directory }).save("k", sampleBinding("x"));
      const names = readdirSync(directory).sort();
      assert.ok(!names.includes(`${hash}.json.0123456789abcdef.tmp`), "the abandoned one is gone");
      assert.ok(names.includes(`${hash}.json.fedcba9876543210.tmp`), "a recent one may belong to a live writer");
      assert.ok(names.includes("notes.txt"), "files the store did not name are left alone");
    } finally {
      tmp.remove();
    }
  });

  it("defaults to $XDG_STATE_HOME/mtls-pop/bindings, else ~/.mtls-pop/bindings", { skip: !POSIX }, () => {
    const previous = process.env.XDG_STATE_HOME;
    try {
      process.env.XDG_STATE_HOME = "/srv/state";
      assert.equal(defaultBindingStoreDirectory(), "/srv/state/mtls-pop/bindings");
      assert.equal(new FileBindingStore().directory, "/srv/state/mtls-pop/bindings");
      process.env.XDG_STATE_HOME = "relative/state"; // invalid per the XDG spec: ignored
      assert.equal(defaultBindingStoreDirectory(), join(homedir(), ".mtls-pop", "bindings"));
      delete process.env.XDG_STATE_HOME;
      assert.equal(defaultBindingStoreDirectory(), join(homedir(), ".mtls-pop", "bindings"));
    } finally {
      if (previous === undefined) delete process.env.XDG_STATE_HOME;
      else process.env.XDG_STATE_HOME = previous;
    }
  });
});

describe("FileBindingStore with ManagedIdentityApplication", () => {
  const f = useEmulator();
  const VAULT = "https://vault.azure.net";

  const endpointsOf = (emu: Emulator) => emu.requests.map((r) => r.endpoint);
  const issueCount = (emu: Emulator) => emu.requests.filter((r) => r.endpoint === "issueCredential").length;

  /** One process start of tests/fixtures/file_binding_store_run against this test's emulator. */
  async function startProcess(directory: string): Promise<{ tokenSource: string; x5tS256: string }> {
    const r = await runFixture("file_binding_store_run", {
      env: {
        MTLS_POP_TEST_IMDS_ENDPOINT: f.emu.imdsEndpoint,
        MTLS_POP_TEST_CA_PEM: f.emu.caCertificatePem,
        MTLS_POP_TEST_STORE_DIR: directory,
        MTLS_POP_TEST_RESOURCE: VAULT,
      },
    });
    assert.equal(r.timedOut, false, `child still running; stderr: ${r.stderr}`);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /^(warning|error): /m, "no warnings from the application (its store among them)");
    return JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  }

  it("a restarted process reuses the stored binding: no second mint on the wire", async () => {
    const tmp = tempDir();
    try {
      const directory = join(tmp.path, "state", "bindings");
      const first = await startProcess(directory);
      assert.deepEqual(endpointsOf(f.emu), ["platformMetadata", "issueCredential", "token"]);
      const { path, json } = onlyBindingFile(directory);
      if (POSIX) {
        assert.equal(statSync(directory).mode & 0o777, 0o700);
        assert.equal(statSync(path).mode & 0o777, 0o600);
      }
      assert.equal(await x5tOf(json.binding.certificatePem), first.x5tS256, "the file holds the minted binding");
      assert.match(json.key, new RegExp(`^${f.emu.imdsEndpoint.replace(/[.]/g, "\\.")}\\|.*\\|unattested$`));

      f.emu.requests.length = 0;
      const second = await startProcess(directory);
      assert.equal(issueCount(f.emu), 0, "the second process made no issuecredential request");
      assert.deepEqual(endpointsOf(f.emu), ["token"], "nor a platform metadata request");
      assert.equal(
        f.emu.requests[0]!.peerCertificate?.x5tS256,
        first.x5tS256,
        "it presented the stored certificate to the STS",
      );
      assert.equal(second.x5tS256, first.x5tS256);
      assert.equal(second.tokenSource, "IdentityProvider", "tokens are not stored, only the binding");
    } finally {
      tmp.remove();
    }
  });

  /** Mints into `directory` with a new application and returns the binding file's path and content. */
  async function mintInto(directory: string) {
    await using app = emulatorApp(f.emu, { bindingStore: new FileBindingStore({ directory }) });
    const result = await app.acquireToken({ resource: VAULT });
    return { result, ...onlyBindingFile(directory) };
  }

  /** A new application on `store` after the file was damaged: it must mint once and succeed. */
  async function acquireAfterDamage(store: BindingStore, damagedX5t: string | undefined) {
    f.emu.requests.length = 0;
    await using app = emulatorApp(f.emu, { bindingStore: store });
    const result = await app.acquireToken({ resource: VAULT });
    assert.equal(issueCount(f.emu), 1, "one new mint");
    assert.deepEqual(endpointsOf(f.emu), ["platformMetadata", "issueCredential", "token"]);
    assert.equal(f.emu.requests[2]!.peerCertificate?.x5tS256, result.bindingCertificate.x5tS256);
    if (damagedX5t) assert.notEqual(result.bindingCertificate.x5tS256, damagedX5t);
    return result;
  }

  it("a corrupt file is ignored: the application mints again and the file is replaced", async () => {
    const tmp = tempDir();
    try {
      const directory = join(tmp.path, "bindings");
      const { path } = await mintInto(directory);
      writeFileSync(path, '\u0000{"format": truncated', { mode: 0o600 });
      const result = await acquireAfterDamage(new FileBindingStore({ directory }), undefined);
      const repaired = onlyBindingFile(directory);
      assert.equal(repaired.path, path);
      assert.equal(await x5tOf(repaired.json.binding.certificatePem), result.bindingCertificate.x5tS256);
    } finally {
      tmp.remove();
    }
  });

  it("a tampered file (the certificate of another binding next to this key) is ignored and re-minted", async () => {
    const tmp = tempDir();
    try {
      const mine = join(tmp.path, "mine");
      const theirs = join(tmp.path, "theirs");
      const a = await mintInto(mine);
      const b = await mintInto(theirs);
      assert.notEqual(a.result.bindingCertificate.x5tS256, b.result.bindingCertificate.x5tS256);
      const tampered = { ...a.json, binding: { ...a.json.binding, certificatePem: b.json.binding.certificatePem } };
      writeFileSync(a.path, JSON.stringify(tampered), { mode: 0o600 });
      const store = new FileBindingStore({ directory: mine });
      assert.deepEqual(await store.load(a.json.key), tampered.binding, "well-formed: the store hands it over");

      const result = await acquireAfterDamage(store, b.result.bindingCertificate.x5tS256);
      assert.notEqual(result.bindingCertificate.x5tS256, a.result.bindingCertificate.x5tS256);
      const repaired = onlyBindingFile(mine);
      assert.equal(await x5tOf(repaired.json.binding.certificatePem), result.bindingCertificate.x5tS256);
    } finally {
      tmp.remove();
    }
  });

  it("two processes started at once leave one valid binding, which a third process reuses", async () => {
    const tmp = tempDir();
    try {
      const directory = join(tmp.path, "bindings");
      const [one, two] = await Promise.all([startProcess(directory), startProcess(directory)]);
      const mints = issueCount(f.emu);
      assert.ok(mints === 1 || mints === 2, `${mints} mints`);
      const { json } = onlyBindingFile(directory);
      assert.equal(json.format, "mtls-pop/binding-store/1");
      const stored = await x5tOf(json.binding.certificatePem);
      assert.ok([one.x5tS256, two.x5tS256].includes(stored), "the file holds one of the two bindings, whole");

      f.emu.requests.length = 0;
      const third = await startProcess(directory);
      assert.equal(issueCount(f.emu), 0, "the third process did not mint");
      assert.equal(third.x5tS256, stored);
      assert.equal(f.emu.requests.find((r) => r.endpoint === "token")?.peerCertificate?.x5tS256, stored);
    } finally {
      tmp.remove();
    }
  });
});
