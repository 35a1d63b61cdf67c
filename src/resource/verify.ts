/**
 * Resource-side verification of an mTLS PoP token (RFC 8705 §3): the JWT's
 * signature, time claims, audience and issuer, and that `cnf.x5t#S256` is the
 * SHA-256 of the certificate the client presented in TLS.
 *
 * @module
 */

import * as jose from "jose";
import {
  certificateDer,
  type CertificateInfo,
  type CertificateInput,
  certificateX5tS256,
} from "../core/certificate.ts";
import { ErrorCode, MsalClientError } from "../core/errors.ts";

/**
 * Why a token was refused.
 *
 * @example
 * ```ts
 * import { MtlsPopTokenError, type MtlsPopTokenFailure } from "mtls-pop";
 * const refreshable: readonly MtlsPopTokenFailure[] = ["expired", "cnf_mismatch"]; // a fresh token fixes these
 * function shouldRefresh(error: unknown): boolean {
 *   return error instanceof MtlsPopTokenError && refreshable.includes(error.reason);
 * }
 * ```
 */
export type MtlsPopTokenFailure =
  | "no_peer_certificate"
  | "malformed"
  | "algorithm"
  | "no_matching_key"
  | "signature"
  | "expired"
  | "not_yet_valid"
  | "audience"
  | "issuer"
  | "missing_cnf"
  | "cnf_mismatch";

/**
 * A token failed verification; `reason` says which check.
 *
 * @example
 * ```ts
 * import { MtlsPopTokenError, verifyMtlsPopToken } from "mtls-pop";
 * try {
 *   await verifyMtlsPopToken({ token, peerCertificate, jwks, audience: "https://my.api" });
 * } catch (e) {
 *   if (e instanceof MtlsPopTokenError) console.log(e.reason); // e.g. "cnf_mismatch"
 * }
 * ```
 */
export class MtlsPopTokenError extends MsalClientError {
  /** The check that failed. */
  readonly reason: MtlsPopTokenFailure;

  /**
   * Creates the error.
   *
   * @param reason the check that failed
   * @param message what failed, for a person
   * @param cause the underlying error, if any
   */
  constructor(reason: MtlsPopTokenFailure, message: string, cause?: unknown) {
    super(ErrorCode.invalidToken, message, { cause });
    this.reason = reason;
  }
}

/**
 * A JSON Web Key Set (RFC 7517 §5), e.g. an issuer's `jwks_uri` document.
 *
 * @example
 * ```ts
 * import { type JsonWebKeySet, verifyMtlsPopToken } from "mtls-pop";
 * const res = await fetch("https://login.microsoftonline.com/<tenant>/discovery/v2.0/keys");
 * const jwks: JsonWebKeySet = await res.json(); // or the emulator's emu.jwks
 * await verifyMtlsPopToken({ token, peerCertificate, jwks, audience: "https://my.api.example" });
 * ```
 */
export interface JsonWebKeySet {
  /** The keys. */
  keys: JsonWebKey[];
}

/**
 * Claims of an mTLS PoP access token that this library reads.
 *
 * @example
 * ```ts
 * import { type MtlsPopTokenClaims, verifyMtlsPopToken } from "mtls-pop";
 * const { payload } = await verifyMtlsPopToken({ token, peerCertificate, jwks, audience: "https://my.api.example" });
 * const claims: MtlsPopTokenClaims = payload;
 * console.log(claims.tid, claims.appid ?? claims.sub, claims.cnf["x5t#S256"], claims.exp);
 * ```
 */
export interface MtlsPopTokenClaims {
  /** Audience: the resource the token is for. */
  aud?: string | string[];
  /** Issuer. */
  iss?: string;
  /** Expiry, seconds since epoch. */
  exp?: number;
  /** Not before, seconds since epoch. */
  nbf?: number;
  /** Issued at, seconds since epoch. */
  iat?: number;
  /** Subject. */
  sub?: string;
  /** Tenant id (Entra). */
  tid?: string;
  /** Client id of the caller (Entra v1 tokens). */
  appid?: string;
  /** Object id of the caller (Entra). */
  oid?: string;
  /** Confirmation: the certificate the token is bound to. */
  cnf: { "x5t#S256": string };
  /** Any other claim. */
  [claim: string]: unknown;
}

/**
 * The protected header of a JWS.
 *
 * @example
 * ```ts
 * import { type JwsHeader, verifyMtlsPopToken } from "mtls-pop";
 * const { protectedHeader } = await verifyMtlsPopToken({ token, peerCertificate, jwks, audience: "https://my.api.example" });
 * const header: JwsHeader = protectedHeader;
 * console.log(header.alg, header.kid); // "RS256" and the id of the signing key
 * ```
 */
export interface JwsHeader {
  /** Signature algorithm. */
  alg: string;
  /** Key id. */
  kid?: string;
  /** Type. */
  typ?: string;
  /** Any other header parameter. */
  [parameter: string]: unknown;
}

/**
 * Options of {@link verifyMtlsPopToken}.
 *
 * @example
 * ```ts
 * import { verifyMtlsPopToken, type VerifyMtlsPopTokenOptions } from "mtls-pop";
 * const options: VerifyMtlsPopTokenOptions = {
 *   token: req.headers.authorization?.replace(/^mtls_pop /, "") ?? "",
 *   peerCertificate: req.socket.getPeerCertificate().raw, // node:https with requestCert: true
 *   jwks: issuerKeySet,
 *   audience: "https://my.api.example", issuer: "https://sts.windows.net/<tenant>/",
 * };
 * const { payload } = await verifyMtlsPopToken(options);
 * ```
 */
export interface VerifyMtlsPopTokenOptions {
  /** The token from `Authorization: mtls_pop <token>`. */
  token: string;
  /** The client certificate of the TLS connection the token came on (DER, PEM, base64, or parsed). */
  peerCertificate: CertificateInput | CertificateInfo | undefined;
  /** The issuer's verification key. Give this or `jwks`. */
  key?: CryptoKey | JsonWebKey;
  /** The issuer's key set; the token's `kid` picks the key. Give this or `key`. */
  jwks?: JsonWebKeySet;
  /** Accepted `aud` values. */
  audience: string | readonly string[];
  /** Accepted `iss` values; not checked when absent. */
  issuer?: string | readonly string[];
  /** Clock skew allowed on `exp` and `nbf`, in seconds; 60 by default. */
  clockToleranceSeconds?: number;
  /** The time to check against; now by default. */
  currentDate?: Date;
  /** Accepted signature algorithms; `["RS256"]` by default (what Entra signs with). */
  algorithms?: readonly string[];
}

/**
 * A verified token.
 *
 * @example
 * ```ts
 * import { type VerifiedMtlsPopToken, verifyMtlsPopToken } from "mtls-pop";
 * const verified: VerifiedMtlsPopToken = await verifyMtlsPopToken({ token, peerCertificate, jwks, audience: "https://my.api.example" });
 * console.log(verified.payload.oid, verified.protectedHeader.kid, verified.x5tS256);
 * ```
 */
export interface VerifiedMtlsPopToken {
  /** The token's claims. */
  payload: MtlsPopTokenClaims;
  /** The token's protected header. */
  protectedHeader: JwsHeader;
  /** `x5t#S256` of the peer certificate (equal to `payload.cnf["x5t#S256"]`). */
  x5tS256: string;
}

function peerDer(peer: CertificateInput | CertificateInfo): Uint8Array {
  if (typeof peer === "object" && peer !== null && "der" in peer && "x5tS256" in peer) return peer.der;
  return certificateDer(peer as CertificateInput);
}

function mapJoseError(error: unknown): MtlsPopTokenError {
  if (error instanceof MtlsPopTokenError) return error;
  const e = error as { code?: string; claim?: string; message?: string };
  const message = e?.message ?? String(error);
  switch (e?.code) {
    case "ERR_JWT_EXPIRED":
      return new MtlsPopTokenError("expired", `The token has expired: ${message}`, error);
    case "ERR_JWT_CLAIM_VALIDATION_FAILED":
      if (e.claim === "aud") {
        return new MtlsPopTokenError("audience", `The token is for another audience: ${message}`, error);
      }
      if (e.claim === "iss") return new MtlsPopTokenError("issuer", `The token has another issuer: ${message}`, error);
      if (e.claim === "nbf" || e.claim === "iat") {
        return new MtlsPopTokenError("not_yet_valid", `The token is not valid yet: ${message}`, error);
      }
      return new MtlsPopTokenError("malformed", `A claim is invalid: ${message}`, error);
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
      return new MtlsPopTokenError("signature", "The token's signature does not verify.", error);
    case "ERR_JOSE_ALG_NOT_ALLOWED":
      return new MtlsPopTokenError("algorithm", `The token's algorithm is not accepted: ${message}`, error);
    case "ERR_JWKS_NO_MATCHING_KEY":
    case "ERR_JWKS_MULTIPLE_MATCHING_KEYS":
      return new MtlsPopTokenError("no_matching_key", `No key of the key set matches the token: ${message}`, error);
    default:
      return new MtlsPopTokenError("malformed", `The token is not a valid JWT: ${message}`, error);
  }
}

/**
 * Verifies an mTLS PoP token as a resource server must: signature, `exp`/`nbf`,
 * `aud`, `iss`, and `cnf.x5t#S256` against the TLS peer certificate. Throws
 * {@link MtlsPopTokenError} naming the first check that failed.
 *
 * @example
 * ```ts
 * import { verifyMtlsPopToken } from "mtls-pop";
 * // inside a node:https handler with requestCert: true
 * const token = req.headers.authorization?.replace(/^mtls_pop /, "") ?? "";
 * const peer = req.socket.getPeerCertificate().raw;
 * const { payload } = await verifyMtlsPopToken({
 *   token,
 *   peerCertificate: peer,
 *   jwks: issuerKeySet,
 *   audience: "https://my.api.example",
 *   issuer: "https://sts.windows.net/<tenant>/",
 * });
 * console.log("caller", payload.appid);
 * ```
 */
export async function verifyMtlsPopToken(options: VerifyMtlsPopTokenOptions): Promise<VerifiedMtlsPopToken> {
  const { token, peerCertificate } = options;
  if (peerCertificate === undefined || peerCertificate === null) {
    throw new MtlsPopTokenError(
      "no_peer_certificate",
      "The client presented no TLS certificate; an mTLS PoP token needs one.",
    );
  }
  let der: Uint8Array;
  try {
    der = peerDer(peerCertificate);
  } catch (cause) {
    throw new MtlsPopTokenError("no_peer_certificate", "The peer certificate cannot be read.", cause);
  }
  if (der.length === 0) throw new MtlsPopTokenError("no_peer_certificate", "The peer certificate is empty.");
  if (typeof token !== "string" || token.split(".").length !== 3) {
    throw new MtlsPopTokenError("malformed", "The token is not a compact JWS.");
  }
  if (!options.key && !options.jwks) throw new TypeError("verifyMtlsPopToken needs `key` or `jwks`.");

  let verified: jose.JWTVerifyResult;
  try {
    const verifyOptions: jose.JWTVerifyOptions = {
      audience: typeof options.audience === "string" ? options.audience : [...options.audience],
      issuer: options.issuer === undefined
        ? undefined
        : typeof options.issuer === "string"
        ? options.issuer
        : [...options.issuer],
      clockTolerance: options.clockToleranceSeconds ?? 60,
      currentDate: options.currentDate,
      algorithms: [...(options.algorithms ?? ["RS256"])],
    };
    verified = options.jwks
      ? await jose.jwtVerify(token, jose.createLocalJWKSet(options.jwks as jose.JSONWebKeySet), verifyOptions)
      : await jose.jwtVerify(token, options.key as CryptoKey | jose.JWK, verifyOptions);
  } catch (e) {
    throw mapJoseError(e);
  }

  const cnf = verified.payload.cnf as { "x5t#S256"?: unknown } | undefined;
  const bound = cnf?.["x5t#S256"];
  if (typeof bound !== "string" || bound.length === 0) {
    throw new MtlsPopTokenError(
      "missing_cnf",
      "The token has no cnf.x5t#S256 claim: it is not bound to a certificate.",
    );
  }
  const presented = await certificateX5tS256(der);
  if (!constantTimeEqual(bound, presented)) {
    throw new MtlsPopTokenError(
      "cnf_mismatch",
      `The token is bound to certificate x5t#S256=${bound}, but the TLS client certificate is ${presented}.`,
    );
  }
  return {
    payload: verified.payload as MtlsPopTokenClaims,
    protectedHeader: verified.protectedHeader as JwsHeader,
    x5tS256: presented,
  };
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
