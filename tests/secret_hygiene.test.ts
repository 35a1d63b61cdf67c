// Run every flow with a capturing logger at its most verbose, PII on and off,
// and provoke errors: no access token, private key PEM, PKCS#8 bytes or CSR
// may appear in any log line, error message or stack, or in the printed forms
// of a result.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { inspect } from "node:util";
import {
  type AuthenticationResult,
  decodeBase64,
  decodeBase64Url,
  encodeBase64,
  ManagedIdentityId,
  ResourceCaller,
  VanillaMsiMtlsPop,
} from "../mod.ts";
import { useEmulator } from "./helpers/emulator.ts";
import { capturingLogger, emulatorApp, emulatorConfidentialApp } from "./helpers/mi.ts";

/**
 * Pieces of an access token: its signature, which nothing else contains (its
 * header and claims are base64 of public facts, such as the client id that
 * is also in the certificate's subject).
 */
function tokenFragments(token: string): string[] {
  return [token, ...fragments(token.split(".")[2] ?? token)];
}

/** Distinctive pieces of a secret: long enough not to match by chance. */
function fragments(secret: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 24 <= secret.length; i += 41) out.push(secret.slice(i, i + 24));
  return out;
}

/**
 * Pieces of a private key's secret parts (d, p, q for RSA; d for EC), as they
 * would appear in its PEM at any base64 alignment, in base64url (JWK) and in
 * hex. The public parts (the modulus) also appear in the certificate.
 */
async function keyFragments(pem: string): Promise<string[]> {
  const der = decodeBase64(pem.replace(/-----[A-Z ]+-----|\s/g, ""));
  let jwk: JsonWebKey;
  try {
    const rsa = await crypto.subtle.importKey(
      "pkcs8",
      der.slice().buffer as ArrayBuffer,
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      true,
      ["sign"],
    );
    jwk = await crypto.subtle.exportKey("jwk", rsa);
  } catch {
    const ec = await crypto.subtle.importKey(
      "pkcs8",
      der.slice().buffer as ArrayBuffer,
      { name: "ECDSA", namedCurve: "P-256" },
      true,
      ["sign"],
    );
    jwk = await crypto.subtle.exportKey("jwk", ec);
  }
  const out: string[] = [];
  for (const part of [jwk.d, jwk.p, jwk.q].filter((x): x is string => typeof x === "string")) {
    const bytes = decodeBase64Url(part);
    for (let shift = 0; shift < 3; shift++) out.push(...fragments(encodeBase64(bytes.subarray(shift))));
    out.push(...fragments(part), Array.from(bytes.subarray(0, 24), (b) => b.toString(16).padStart(2, "0")).join(""));
  }
  return out;
}

function printedForms(result: AuthenticationResult): string[] {
  const forms = [
    JSON.stringify(result),
    inspect(result, { depth: 20, showHidden: true, getters: false }),
    String(result),
    `${result}`,
  ];
  const denoInspect = (globalThis as { Deno?: { inspect(v: unknown, o?: unknown): string } }).Deno?.inspect;
  if (denoInspect) forms.push(denoInspect(result, { depth: 20, showHidden: true }));
  const bunInspect = (globalThis as { Bun?: { inspect(v: unknown): string } }).Bun?.inspect;
  if (bunInspect) forms.push(bunInspect(result));
  return forms;
}

function errorForms(error: unknown): string[] {
  const out: string[] = [];
  let e: unknown = error;
  for (let depth = 0; e && depth < 6; depth++) {
    out.push(String(e), (e as Error).message ?? "", (e as Error).stack ?? "", inspect(e, { depth: 10 }));
    try {
      out.push(JSON.stringify(e));
    } catch {
      // circular: inspect covers it
    }
    e = (e as { cause?: unknown }).cause;
  }
  return out;
}

describe("secret hygiene", () => {
  const f = useEmulator();

  for (const pii of [false, true]) {
    it(`no secret in logs, errors or printed results (PII logging ${pii ? "on" : "off"})`, async () => {
      const logger = capturingLogger("verbose", pii);
      const secrets: string[] = [];
      const texts: string[] = [];
      const uami = f.emu.identities.userAssigned[0]!;

      // Managed identity, then the resource, then forced errors.
      await using mi = emulatorApp(f.emu, { id: ManagedIdentityId.userAssignedClientId(uami.clientId), logger });
      const a = await mi.acquireToken({ resource: new URL(f.emu.resourceUrl).origin });
      secrets.push(
        ...tokenFragments(a.accessToken),
        ...(await keyFragments(a.bindingCertificate.exportPrivateKeyPem())),
      );
      // The CSR holds nothing secret, but it is not logged either (its public key and
      // subject do appear in the public certificate, so it is checked in the logs only).
      const csr = (f.emu.requests.find((r) => r.endpoint === "issueCredential")!.json as { csr: string }).csr;
      texts.push(
        ...printedForms(a),
        ...printedForms(await mi.acquireToken({ resource: new URL(f.emu.resourceUrl).origin })),
      );
      await using caller = new ResourceCaller(a, { caCertificates: f.emu.caCertificatePem });
      texts.push(await caller.callResource(f.emu.resourceUrl));
      f.emu.faults.add("token", { error: "invalid_resource" });
      texts.push(...errorForms(await mi.acquireToken({ resource: "https://vault.azure.net" }).catch((e) => e)));
      f.emu.faults.add("resource", { status: 401, body: { error: "invalid_token", error_description: "nope" } });
      texts.push(...errorForms(await caller.callResource(f.emu.resourceUrl).catch((e) => e)));
      f.emu.faults.add("issueCredential", { certificateForDifferentKey: true, times: 2 });
      await using other = emulatorApp(f.emu, { logger });
      texts.push(...errorForms(await other.acquireToken({ resource: "https://vault.azure.net" }).catch((e) => e)));

      // Confidential client, with an STS error too.
      const sni = await f.emu.createConfidentialClient();
      secrets.push(...(await keyFragments(sni.privateKeyPem)));
      await using cca = emulatorConfidentialApp(f.emu, sni, { logger });
      const c = await cca.acquireTokenForClient({ scopes: ["https://vault.azure.net/.default"] });
      secrets.push(...tokenFragments(c.accessToken));
      texts.push(...printedForms(c));
      f.emu.faults.add("token", { status: 500, times: 2 });
      texts.push(
        ...errorForms(
          await cca.acquireTokenForClient({ scopes: ["https://graph.microsoft.com/.default"] }).catch((e) => e),
        ),
      );
      texts.push(...errorForms(
        await emulatorConfidentialApp(f.emu, { ...sni, privateKeyPem: sni.privateKeyPem.replace(/A/g, "B") })
          .acquireTokenForClient({ scopes: ["x/.default"] }).catch((e) => e),
      ));

      // The all-in-one helper.
      await using vanilla = new VanillaMsiMtlsPop(ManagedIdentityId.systemAssigned(), {
        imdsEndpoint: f.emu.imdsEndpoint,
        caCertificates: f.emu.caCertificatePem,
        logger,
      });
      texts.push(await vanilla.callResourceWithPop(f.emu.resourceUrl));
      const v = await vanilla.acquireToken(new URL(f.emu.resourceUrl).origin);
      secrets.push(
        ...tokenFragments(v.accessToken),
        ...(await keyFragments(v.bindingCertificate.exportPrivateKeyPem())),
      );
      texts.push(...printedForms(v), ...printedForms(v.bindingCertificate as unknown as AuthenticationResult));

      const lines = logger.lines.map((l) => l.message);
      assert.ok(lines.length > 10, "the flows logged");
      texts.push(...lines);
      const all = texts.join("\n");
      const leaks = secrets.flatMap((secret) => {
        const text = texts.find((t) => t.includes(secret));
        if (!text) return [];
        const at = text.indexOf(secret);
        return [`${secret} in …${text.slice(Math.max(0, at - 300), at + 100)}…`];
      });
      assert.deepEqual(leaks, []);
      for (const piece of fragments(csr)) assert.ok(!lines.join("\n").includes(piece), "the CSR is not logged");
      assert.ok(!/BEGIN [A-Z ]*PRIVATE KEY/.test(all), "no PEM private key");
      assert.equal(lines.join("\n").includes(uami.clientId), pii, "client ids only with PII logging");
    });
  }
});
