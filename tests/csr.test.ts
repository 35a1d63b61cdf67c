import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { BindingKey, buildImdsCsr, CUID_ATTRIBUTE_OID, decodeBase64, MsalClientError } from "../mod.ts";
import { openssl, tempDir, writeText } from "./helpers/openssl.ts";

const CLIENT_ID = "6325cd32-9911-41f3-819c-416cdf9104e7";
const TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47";

describe("IMDSv2 CSR", () => {
  let key: BindingKey;
  const dir = tempDir();
  before(async () => {
    key = await BindingKey.generate();
  });
  after(() => dir.remove());

  it("verifies with openssl and carries the subject, RSASSA-PSS and the cuId attribute", async () => {
    const csr = await buildImdsCsr({
      key,
      clientId: CLIENT_ID,
      tenantId: TENANT_ID,
      cuId: { vmId: "vm-1", vmssId: "ss-1" },
    });
    const path = writeText(dir.path, "req.pem", csr.pem);
    const r = openssl(["req", "-in", path, "-verify", "-noout", "-text"]);
    assert.equal(r.status, 0, r.stderr);
    const all = r.stdout + r.stderr;
    assert.match(all, /verify OK/);
    assert.match(r.stdout, new RegExp(`Subject: DC = ${TENANT_ID}, CN = ${CLIENT_ID}\\n`));
    assert.match(r.stdout, /Public Key Algorithm: rsaEncryption/);
    assert.match(r.stdout, /Public-Key: \(2048 bit\)/);
    assert.match(r.stdout, /Exponent: 65537/);
    assert.match(r.stdout, /Signature Algorithm: rsassaPss/);
    assert.match(r.stdout, /Hash Algorithm: sha256/);
    assert.match(r.stdout, /Mask Algorithm: mgf1 with sha256/);
    assert.match(r.stdout, /Salt Length: 0x20/);
    assert.ok(r.stdout.includes(`${CUID_ATTRIBUTE_OID}  :{"vmId":"vm-1","vmssId":"ss-1"}`), r.stdout);
  });

  it("encodes the subject as two single-valued RDNs, DC as IA5String first, and the attribute as UTF8String", async () => {
    const csr = await buildImdsCsr({ key, clientId: CLIENT_ID, tenantId: TENANT_ID, cuId: { vmssId: "ss-only" } });
    const r = openssl(["asn1parse", "-inform", "DER"], csr.der);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.split("\n");
    const dc = lines.findIndex((l) => l.includes("domainComponent"));
    const cn = lines.findIndex((l) => l.includes("commonName"));
    assert.ok(dc > 0 && cn > dc, "DC comes before CN");
    assert.match(lines[dc + 1]!, new RegExp(`IA5STRING\\s+:${TENANT_ID}`));
    assert.match(lines[cn + 1]!, new RegExp(`UTF8STRING\\s+:${CLIENT_ID}`));
    assert.match(lines[dc - 2]!, /cons: SET/);
    assert.match(lines[cn - 2]!, /cons: SET/, "CN has a SET of its own");
    const attr = lines.findIndex((l) => l.includes(CUID_ATTRIBUTE_OID));
    assert.match(lines[attr + 2]!, /UTF8STRING\s+:\{"vmssId":"ss-only"\}/);
  });

  it("gives raw base64 of the DER, without armour or line breaks", async () => {
    const csr = await buildImdsCsr({ key, clientId: CLIENT_ID, tenantId: TENANT_ID, cuId: { vmId: "vm" } });
    assert.match(csr.base64, /^[A-Za-z0-9+/]+=*$/);
    assert.deepEqual(decodeBase64(csr.base64), csr.der);
    assert.ok(csr.pem.startsWith("-----BEGIN CERTIFICATE REQUEST-----\n"));
  });

  it("refuses input IMDS could not have sent", async () => {
    await assert.rejects(
      buildImdsCsr({ key, clientId: "", tenantId: TENANT_ID, cuId: { vmId: "v" } }),
      MsalClientError,
    );
    await assert.rejects(buildImdsCsr({ key, clientId: CLIENT_ID, tenantId: TENANT_ID, cuId: {} }), MsalClientError);
    await assert.rejects(
      buildImdsCsr({ key, clientId: CLIENT_ID, tenantId: "tenänt", cuId: { vmId: "v" } }),
      MsalClientError,
    );
  });
});

describe("BindingKey", () => {
  it("is RSA-2048 with e=65537 and never prints its private half", async () => {
    const key = await BindingKey.generate();
    const pem = key.exportPkcs8Pem();
    const r = openssl(["pkey", "-noout", "-text"], pem);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Private-Key: \(2048 bit/);
    assert.match(r.stdout, /publicExponent: 65537/);
    assert.equal(JSON.stringify(key), '{"algorithm":"RSA-2048"}');
    const body = pem.split("\n")[1]!;
    const { inspect } = await import("node:util");
    assert.ok(!inspect(key, { showHidden: true, depth: 10 }).includes(body.slice(0, 40)));
    assert.ok(!String(key).includes(body.slice(0, 40)));
  });

  it("round-trips through PKCS#8", async () => {
    const key = await BindingKey.generate();
    const again = await BindingKey.fromPkcs8(key.exportPkcs8());
    assert.deepEqual(again.spki, key.spki);
  });
});
