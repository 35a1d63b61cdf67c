// Runs the openssl command line, the independent tool the tests check our
// DER against, and makes throwaway certificates with it.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface OpensslResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function openssl(args: string[], input?: string | Uint8Array): OpensslResult {
  const r = spawnSync("openssl", args, { input, encoding: "utf8" });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A folder removed by the returned function. */
export function tempDir(): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), "mtls-pop-test-"));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface OpensslCertificate {
  certPem: string;
  keyPem: string;
  certPath: string;
  keyPath: string;
}

/** A self-signed certificate made by openssl, written into `dir`. */
export function opensslSelfSigned(
  dir: string,
  name: string,
  options: { keyType?: "rsa" | "ec"; subject?: string; days?: number } = {},
): OpensslCertificate {
  const certPath = join(dir, `${name}.pem`);
  const keyPath = join(dir, `${name}.key`);
  const newkey = options.keyType === "ec"
    ? ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
    : ["-newkey", "rsa:2048"];
  const r = openssl([
    "req",
    "-x509",
    ...newkey,
    "-nodes",
    "-keyout",
    keyPath,
    "-out",
    certPath,
    "-days",
    String(options.days ?? 2),
    "-subj",
    options.subject ?? `/CN=${name}`,
    "-addext",
    "extendedKeyUsage=clientAuth",
    "-addext",
    "keyUsage=digitalSignature",
  ]);
  if (r.status !== 0) throw new Error(`openssl req failed: ${r.stderr}`);
  return { certPem: readFileSync(certPath, "utf8"), keyPem: readFileSync(keyPath, "utf8"), certPath, keyPath };
}

export function writeText(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
