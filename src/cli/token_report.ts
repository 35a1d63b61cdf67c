/**
 * What `token` and `cc-token` print about an acquired token: type, source,
 * expiry and the binding certificate, but the access token itself only when
 * asked with `--show-token`, and never a private key.
 *
 * @module
 */

import type { AuthenticationResult, BindingCertificateSummary } from "../../mod.ts";
import { type Field, renderFields, renderJson } from "./output.ts";
import { describeExpiry, timeWithDistance } from "./time.ts";

/** The JSON `--json` prints for a token. */
export interface TokenReport {
  /** Always `"mtls_pop"`. */
  tokenType: string;
  /** `"IdentityProvider"` or `"Cache"`. */
  tokenSource: string;
  /** Expiry, ISO 8601. */
  expiresOn: string;
  /** Seconds until expiry at the time of printing. */
  expiresInSeconds: number;
  /** When the library would refresh the token, ISO 8601, if it would. */
  refreshOn?: string;
  /** Correlation id of the request. */
  correlationId: string;
  /** Who the token is for: the managed identity, or the confidential client. */
  subject: Record<string, string | readonly string[]>;
  /** Public facts of the certificate the token is bound to. */
  bindingCertificate: BindingCertificateSummary;
  /** The token itself, only with `--show-token`. */
  accessToken?: string;
}

/** How a token report is printed. */
export interface TokenReportOptions {
  /** Print the access token too (`--show-token`). */
  showToken: boolean;
  /** The current time, ms since epoch. */
  now?: number;
}

/**
 * The report of a token as a JSON-ready object.
 *
 * @param result the acquired token
 * @param subject who it is for, as printed (e.g. `{ identity, resource }`)
 * @param options whether to include the token
 */
export function tokenReport(
  result: AuthenticationResult,
  subject: Record<string, string | readonly string[]>,
  options: TokenReportOptions,
): TokenReport {
  const now = options.now ?? Date.now();
  return {
    tokenType: result.tokenType,
    tokenSource: result.tokenSource,
    expiresOn: result.expiresOn.toISOString(),
    expiresInSeconds: Math.max(0, Math.floor((result.expiresOn.getTime() - now) / 1000)),
    refreshOn: result.refreshOn?.toISOString(),
    correlationId: result.correlationId,
    subject,
    // toJSON gives the public facts only: the private key has no way in.
    bindingCertificate: result.bindingCertificate.toJSON(),
    ...(options.showToken ? { accessToken: result.accessToken } : {}),
  };
}

/**
 * The report as JSON text (`--json`).
 *
 * @param report what {@link tokenReport} made
 */
export function renderTokenReportJson(report: TokenReport): string {
  return renderJson(report);
}

/**
 * The report as aligned lines for people.
 *
 * @param result the acquired token
 * @param subjectFields who the token is for, as rows
 * @param options whether to include the token
 */
export function renderTokenReportText(
  result: AuthenticationResult,
  subjectFields: readonly Field[],
  options: TokenReportOptions,
): string {
  const now = options.now ?? Date.now();
  const certificate = result.bindingCertificate;
  return renderFields([
    ["token type", result.tokenType],
    ["token source", result.tokenSource],
    ...subjectFields,
    ["expires", `${result.expiresOn.toISOString()} (${describeExpiry(result.expiresOn, now)})`],
    ["refresh after", result.refreshOn ? timeWithDistance(result.refreshOn, now) : undefined],
    ["correlation id", result.correlationId],
    ["binding certificate", [
      ["subject", certificate.subject],
      ["thumbprint", certificate.thumbprint],
      ["x5t#S256", certificate.x5tS256],
      ["valid until", timeWithDistance(certificate.notAfter, now)],
    ]],
    ["access token", options.showToken ? result.accessToken : "(hidden; --show-token prints it)"],
  ]);
}
