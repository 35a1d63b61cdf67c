// The README's main command: `npm ci && npm run demo` (also `deno task demo`
// and `bun run demo`). Starts the built-in emulator, gets mTLS PoP tokens for
// the system-assigned identity and the three kinds of user-assigned id, and
// for a confidential client with its own certificate, twice each
// (IdentityProvider, then Cache), calls the emulator's resource with each
// token over mTLS, and exits 0.
import {
  type AuthenticationResult,
  ConfidentialClientApplication,
  detectRuntime,
  ManagedIdentityApplication,
  ManagedIdentityId,
  ResourceCaller,
} from "../mod.ts";
import { startEmulator } from "../emulator.ts";

const emu = await startEmulator();
const resource = new URL(emu.resourceUrl).origin;
const uami = emu.identities.userAssigned[0]!;
const identities: Array<[string, ManagedIdentityId]> = [
  ["system-assigned", ManagedIdentityId.systemAssigned()],
  ["user-assigned, client id", ManagedIdentityId.userAssignedClientId(uami.clientId)],
  ["user-assigned, resource id", ManagedIdentityId.userAssignedResourceId(uami.resourceId!)],
  ["user-assigned, object id", ManagedIdentityId.userAssignedObjectId(uami.objectId)],
];

console.log(`mtls-pop demo on ${detectRuntime()}, against the built-in emulator`);
console.log(`  IMDS     ${emu.imdsEndpoint}`);
console.log(`  mTLS STS ${emu.mtlsEndpoint}`);
console.log(`  resource ${emu.resourceUrl}\n`);
console.log("Managed identity over IMDSv2 (key + CSR -> binding certificate -> mtls_pop token over mTLS)");

/** Calls the emulator's resource with the second token and prints what both calls gave; true if the call worked. */
async function callAndReport(
  name: string,
  first: AuthenticationResult,
  second: AuthenticationResult,
  caller: ResourceCaller,
): Promise<boolean> {
  const res = await caller.fetch(`${emu.resourceUrl}demo`);
  const echo = await res.json() as { ok?: boolean; appid?: string };
  console.log(`\n  ${name}`);
  console.log(`    token type          ${first.tokenType}`);
  console.log(`    binding certificate ${first.bindingCertificate.thumbprint} (${first.bindingCertificate.subject})`);
  console.log(`    token expires       ${first.expiresOn.toISOString()}`);
  console.log(`    token source        1st call: ${first.tokenSource}, 2nd call: ${second.tokenSource}`);
  console.log(
    `    resource call       HTTP ${res.status}, caller ${echo.appid}, bound to x5t#S256 ${second.bindingCertificate.x5tS256}`,
  );
  return res.ok && echo.ok === true;
}

let failures = 0;
try {
  for (const [name, id] of identities) {
    const app = new ManagedIdentityApplication({
      id,
      imdsEndpoint: emu.imdsEndpoint,
      caCertificates: emu.caCertificatePem,
    });
    try {
      const first = await app.acquireToken({ resource });
      const second = await app.acquireToken({ resource });
      await using caller = new ResourceCaller(second, { caCertificates: emu.caCertificatePem });
      if (!(await callAndReport(name, first, second, caller))) failures++;
    } finally {
      await app.close();
    }
  }

  console.log("\nConfidential client with its own certificate (the certificate is the TLS client certificate)");
  const sni = await emu.createConfidentialClient();
  const cca = new ConfidentialClientApplication({
    clientId: sni.clientId,
    authority: `https://login.microsoftonline.com/${emu.tenantId}`,
    azureRegion: "westus3",
    certificate: { certPem: sni.certificatePem, keyPem: sni.privateKeyPem },
    mtlsEndpoint: emu.mtlsEndpoint, // instead of https://westus3.mtlsauth.microsoft.com
    caCertificates: emu.caCertificatePem,
  });
  try {
    const first = await cca.acquireTokenForClient({ scopes: [`${resource}/.default`] });
    const second = await cca.acquireTokenForClient({ scopes: [`${resource}/.default`] });
    await using caller = new ResourceCaller(second, { caCertificates: emu.caCertificatePem });
    if (!(await callAndReport("confidential client", first, second, caller))) failures++;
  } finally {
    await cca.close();
  }
} finally {
  await emu.close();
}
console.log(failures === 0 ? "\nAll calls succeeded." : `\n${failures} resource call(s) failed.`);
if (failures) process.exitCode = 1;
