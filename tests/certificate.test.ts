import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { BindingKey, encodeBase64, fromPem, MsalClientError, parseCertificate, samePublicKey } from "../mod.ts";
import { openssl, type OpensslCertificate, opensslSelfSigned, tempDir } from "./helpers/openssl.ts";

describe("parseCertificate", () => {
  const dir = tempDir();
  let rsa: OpensslCertificate;
  let ec: OpensslCertificate;
  before(() => {
    rsa = opensslSelfSigned(dir.path, "rsa", { subject: "/DC=contoso/CN=app one" });
    ec = opensslSelfSigned(dir.path, "ec", { keyType: "ec" });
  });
  after(() => dir.remove());

  for (const kind of ["rsa", "ec"] as const) {
    it(`${kind}: thumbprint and x5t#S256 equal openssl's SHA-1 and SHA-256 fingerprints`, async () => {
      const pair = kind === "rsa" ? rsa : ec;
      const cert = await parseCertificate(pair.certPem);
      const sha1 = openssl(["x509", "-in", pair.certPath, "-noout", "-fingerprint", "-sha1"]).stdout;
      const sha256 = openssl(["x509", "-in", pair.certPath, "-noout", "-fingerprint", "-sha256"]).stdout;
      assert.equal(cert.thumbprint, sha1.split("=")[1]!.trim().replaceAll(":", ""));
      const hex = sha256.split("=")[1]!.trim().replaceAll(":", "");
      const bytes = new Uint8Array(hex.match(/../g)!.map((h) => parseInt(h, 16)));
      const b64url = encodeBase64(bytes).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
      assert.equal(cert.x5tS256, b64url);
      assert.match(cert.thumbprint, /^[0-9A-F]{40}$/);
    });
  }

  it("reads subject, issuer, serial and validity as openssl does", async () => {
    const cert = await parseCertificate(rsa.certPem);
    assert.equal(cert.subject, "CN=app one, DC=contoso");
    assert.equal(cert.issuer, cert.subject);
    const serial = openssl(["x509", "-in", rsa.certPath, "-noout", "-serial"]).stdout.trim().split("=")[1]!;
    assert.equal(cert.serialNumber.replace(/^0+/, ""), serial.replace(/^0+/, ""));
    const end = openssl(["x509", "-in", rsa.certPath, "-noout", "-enddate"]).stdout.trim().split("=")[1]!;
    assert.equal(cert.notAfter.getTime(), new Date(end).getTime());
    assert.ok(cert.notBefore < new Date() && cert.notAfter > new Date());
  });

  it("accepts DER, PEM and raw base64 alike", async () => {
    const der = fromPem(rsa.certPem, "CERTIFICATE");
    const a = await parseCertificate(der);
    const b = await parseCertificate(encodeBase64(der));
    const c = await parseCertificate(der.buffer.slice(der.byteOffset, der.byteOffset + der.byteLength) as ArrayBuffer);
    assert.equal(a.thumbprint, b.thumbprint);
    assert.equal(a.thumbprint, c.thumbprint);
    assert.equal(a.pem.replaceAll("\n", ""), rsa.certPem.replaceAll("\n", ""));
  });

  it("gives the SPKI openssl extracts, and matches keys by their public half", async () => {
    const cert = await parseCertificate(rsa.certPem);
    const pub = openssl(["pkey", "-in", rsa.keyPath, "-pubout", "-outform", "DER"]);
    const spkiPem = openssl(["pkey", "-in", rsa.keyPath, "-pubout"]).stdout;
    assert.deepEqual(cert.spki, fromPem(spkiPem, "PUBLIC KEY"));
    assert.equal(pub.status, 0);
    const other = await BindingKey.generate();
    assert.equal(samePublicKey(cert.spki, cert.spki), true);
    assert.equal(samePublicKey(cert.spki, other.spki), false);
  });

  it("refuses a CSR, a wrong PEM label, truncated DER and trailing bytes with typed errors", async () => {
    const csr = openssl(["req", "-new", "-key", rsa.keyPath, "-subj", "/CN=x"]).stdout;
    await assert.rejects(
      parseCertificate(csr),
      (e: unknown) => e instanceof MsalClientError && e.errorCode === "invalid_pem",
    );
    const csrDer = fromPem(csr, "CERTIFICATE REQUEST");
    await assert.rejects(
      parseCertificate(csrDer),
      (e: unknown) => e instanceof MsalClientError && e.errorCode === "invalid_certificate",
    );
    const der = fromPem(rsa.certPem, "CERTIFICATE");
    await assert.rejects(parseCertificate(der.subarray(0, der.length - 1)), { errorCode: "invalid_certificate" });
    await assert.rejects(parseCertificate(new Uint8Array([...der, 0])), { errorCode: "invalid_certificate" });
    await assert.rejects(parseCertificate(new Uint8Array()), { errorCode: "invalid_certificate" });
    await assert.rejects(parseCertificate(""), MsalClientError);
    await assert.rejects(parseCertificate("not base64 at all!"), { errorCode: "invalid_certificate" });
  });
});
