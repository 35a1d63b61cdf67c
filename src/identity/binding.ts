/**
 * Minting a binding (PROTOCOL.md §1b, §1c): key generation started while the
 * platform metadata request is in flight, the CSR, optional attestation,
 * `issuecredential`, and the checks on the certificate that comes back.
 *
 * @module
 */

import { BindingCertificate } from "../core/binding_certificate.ts";
import { assertCertificateHasKey } from "../core/certificate.ts";
import { buildImdsCsr, type ComputeUnitId } from "../core/csr.ts";
import { ErrorCode, MsalClientError } from "../core/errors.ts";
import { BindingKey } from "../core/keys.ts";
import { type LibraryLogger, pii } from "../token/logger.ts";
import type { ImdsClient } from "./imds.ts";
import type { ManagedIdentityId } from "./managed_identity_id.ts";

/**
 * What an attestation provider is told.
 *
 * @example
 * ```ts
 * import { type AttestationContext, ManagedIdentityApplication } from "mtls-pop";
 * const app = new ManagedIdentityApplication({
 *   attestationTokenProvider: async (context: AttestationContext) => {
 *     const { attestationEndpoint, publicKeySpki, cuId, signal } = context;
 *     return await attestKeyGuardKey(attestationEndpoint, publicKeySpki, cuId.vmId, signal); // your MAA client
 *   },
 * });
 * ```
 */
export interface AttestationContext {
  /** `attestationEndpoint` from platform metadata (Microsoft Azure Attestation). */
  attestationEndpoint: string;
  /** Client id of the identity. */
  clientId: string;
  /** Tenant id of the identity. */
  tenantId: string;
  /** The VM's compute unit id. */
  cuId: ComputeUnitId;
  /** SubjectPublicKeyInfo DER of the key to attest. */
  publicKeySpki: Uint8Array;
  /** Aborts the attestation. */
  signal: AbortSignal;
}

/**
 * Returns an attestation token (a JWT) for the binding key. With one
 * configured, `issuecredential` carries `attestation_token`.
 *
 * @example
 * ```ts
 * import type { AttestationTokenProvider } from "mtls-pop";
 * const attest: AttestationTokenProvider = async ({ attestationEndpoint, publicKeySpki, signal }) => {
 *   const res = await fetch(`${attestationEndpoint}/attest/...`, { method: "POST", signal, body: "..." });
 *   return (await res.json()).token;
 * };
 * ```
 */
export type AttestationTokenProvider = (context: AttestationContext) => Promise<string>;

/** A binding: certificate and key, where to ask for tokens, and as whom. */
export interface Binding {
  readonly certificate: BindingCertificate;
  /** `{mtls_authentication_endpoint}/{tenant_id}/oauth2/v2.0/token`. */
  readonly tokenEndpoint: string;
  /** Canonical client id from `issuecredential`. */
  readonly clientId: string;
  readonly tenantId: string;
  readonly attested: boolean;
}

/** Allowed clock difference with IMDS on a new certificate's notBefore. */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Whether a binding can still be used at `now`: its certificate is renewed a
 * quarter of its lifetime (at most an hour) before it expires.
 */
export function bindingUsable(binding: Binding, now: number): boolean {
  const { notBefore, notAfter } = binding.certificate;
  const margin = Math.min(3600_000, (notAfter.getTime() - notBefore.getTime()) / 4);
  return now < notAfter.getTime() - margin;
}

/** Everything {@link mintBinding} needs. */
export interface MintContext {
  imds: ImdsClient;
  id: ManagedIdentityId;
  attestationTokenProvider?: AttestationTokenProvider;
  logger: LibraryLogger;
  now: () => number;
}

/** Makes a new binding. */
export async function mintBinding(ctx: MintContext, correlationId: string, signal: AbortSignal): Promise<Binding> {
  const { imds, id, logger } = ctx;
  const started = ctx.now();
  // RSA key generation dominates the cold path: run it while IMDS answers.
  const keyPromise = BindingKey.generate();
  keyPromise.catch(() => {});
  const metadata = await imds.getPlatformMetadata(id, correlationId, signal);
  const key = await keyPromise;
  const csr = await buildImdsCsr({
    key,
    clientId: metadata.clientId,
    tenantId: metadata.tenantId,
    cuId: metadata.cuId,
  });

  let attestationToken: string | undefined;
  if (ctx.attestationTokenProvider) {
    try {
      attestationToken = await ctx.attestationTokenProvider({
        attestationEndpoint: metadata.attestationEndpoint,
        clientId: metadata.clientId,
        tenantId: metadata.tenantId,
        cuId: metadata.cuId,
        publicKeySpki: key.spki,
        signal,
      });
    } catch (cause) {
      if (signal.aborted) throw signal.reason;
      throw new MsalClientError(ErrorCode.attestationFailed, "The attestation token provider failed.", {
        cause,
        correlationId,
      });
    }
    if (typeof attestationToken !== "string" || attestationToken.length === 0) {
      throw new MsalClientError(ErrorCode.attestationFailed, "The attestation token provider returned no token.", {
        correlationId,
      });
    }
  }

  const issued = await imds.issueCredential(id, csr.base64, attestationToken, correlationId, signal);
  assertCertificateHasKey(issued.certificate, key.spki);
  const now = ctx.now();
  if (now + CLOCK_SKEW_MS < issued.certificate.notBefore.getTime() || now >= issued.certificate.notAfter.getTime()) {
    throw new MsalClientError(
      ErrorCode.certificateExpired,
      `IMDS issued a certificate valid from ${issued.certificate.notBefore.toISOString()} to ${issued.certificate.notAfter.toISOString()}, not now.`,
      { correlationId },
    );
  }
  const certificate = await BindingCertificate.create(issued.certificate, key.exportPkcs8Pem());
  logger.info`Minted binding certificate ${certificate.thumbprint} for ${pii(issued.clientId)} in ${
    ctx.now() - started
  } ms, valid until ${certificate.notAfter.toISOString()}.`;
  return {
    certificate,
    tokenEndpoint: `${issued.mtlsAuthenticationEndpoint}/${encodeURIComponent(issued.tenantId)}/oauth2/v2.0/token`,
    clientId: issued.clientId,
    tenantId: issued.tenantId,
    attested: attestationToken !== undefined,
  };
}

/** Whether a mint failed because of the certificate IMDS returned (worth one more mint). */
export function isBadIssuedCertificate(error: unknown): boolean {
  return error instanceof MsalClientError &&
    (error.errorCode === ErrorCode.certificateKeyMismatch || error.errorCode === ErrorCode.certificateExpired);
}
