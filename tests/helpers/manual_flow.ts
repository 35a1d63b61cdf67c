// The IMDSv2 + STS steps done by hand with the core pieces and a transport:
// lets the emulator and transport tests run before (and independently of)
// the ManagedIdentityApplication flow.
import {
  BindingCertificate,
  BindingKey,
  buildImdsCsr,
  decodeBase64,
  type MtlsTransport,
  parseCertificate,
} from "../../mod.ts";
import type { Emulator } from "../../emulator.ts";

export interface ManualBinding {
  binding: BindingCertificate;
  clientId: string;
  tokenEndpoint: string;
}

const metadataHeaders = { metadata: "true" };

export async function mintBinding(emu: Emulator, transport: MtlsTransport, idQuery = ""): Promise<ManualBinding> {
  const suffix = idQuery ? `&${idQuery}` : "";
  const meta = await transport.send(
    `${emu.imdsEndpoint}/metadata/identity/getplatformmetadata?cred-api-version=2.0${suffix}`,
    {
      headers: metadataHeaders,
    },
  );
  if (meta.status !== 200) throw new Error(`metadata ${meta.status}: ${await meta.text()}`);
  const m = await meta.json() as { clientId: string; tenantId: string; cuId: { vmId?: string; vmssId?: string } };
  const key = await BindingKey.generate();
  const csr = await buildImdsCsr({ key, clientId: m.clientId, tenantId: m.tenantId, cuId: m.cuId });
  const issued = await transport.send(
    `${emu.imdsEndpoint}/metadata/identity/issuecredential?cred-api-version=2.0${suffix}`,
    {
      method: "POST",
      headers: { ...metadataHeaders, "content-type": "application/json" },
      body: JSON.stringify({ csr: csr.base64 }),
    },
  );
  if (issued.status !== 200) throw new Error(`issuecredential ${issued.status}: ${await issued.text()}`);
  const body = await issued.json() as {
    certificate: string;
    client_id: string;
    tenant_id: string;
    mtls_authentication_endpoint: string;
  };
  const info = await parseCertificate(decodeBase64(body.certificate));
  const binding = await BindingCertificate.create(info, key.exportPkcs8Pem());
  return {
    binding,
    clientId: body.client_id,
    tokenEndpoint: `${body.mtls_authentication_endpoint.replace(/\/$/, "")}/${body.tenant_id}/oauth2/v2.0/token`,
  };
}

export function tokenForm(clientId: string, resource: string, extra: Record<string, string> = {}): string {
  return new URLSearchParams({
    grant_type: "client_credentials",
    client_id: clientId,
    scope: `${resource.replace(/\/+$/, "")}/.default`,
    token_type: "mtls_pop",
    ...extra,
  }).toString();
}

export async function requestToken(
  transport: MtlsTransport,
  endpoint: string,
  form: string,
  certificate: BindingCertificate | undefined,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await transport.send(endpoint, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: form,
    clientCertificate: certificate,
  });
  return { status: res.status, body: await res.json() as Record<string, unknown>, headers: res.headers };
}

export async function mintToken(emu: Emulator, transport: MtlsTransport, idQuery = "", resource = emu.resourceUrl) {
  const m = await mintBinding(emu, transport, idQuery);
  const r = await requestToken(transport, m.tokenEndpoint, tokenForm(m.clientId, resource), m.binding);
  if (r.status !== 200) throw new Error(`token ${r.status}: ${JSON.stringify(r.body)}`);
  return { ...m, accessToken: r.body.access_token as string, tokenType: r.body.token_type as string };
}
