/**
 * Authority and region rules for confidential-client mTLS PoP (PROTOCOL.md
 * §2): which authorities may use it, and the mTLS token endpoint each one
 * maps to. Pure functions, table-tested rule by rule.
 *
 * @module
 */

import { ErrorCode, MsalClientError } from "../core/errors.ts";

/**
 * A parsed, validated authority.
 *
 * @example
 * ```ts
 * import { type Authority, parseAuthority } from "mtls-pop";
 * const authority: Authority = parseAuthority("https://login.microsoftonline.com/contoso.onmicrosoft.com");
 * console.log(authority.type, authority.host, authority.tenant);
 * // "Aad" "login.microsoftonline.com" "contoso.onmicrosoft.com"
 * ```
 */
export interface Authority {
  /** `Aad` (Entra ID) or `Dsts`. */
  type: "Aad" | "Dsts";
  /** Host of the authority, lower case. */
  host: string;
  /** The tenant (GUID or domain). */
  tenant: string;
}

const NON_TENANTED = new Set(["common", "organizations", "consumers"]);
const PUBLIC_CLOUD_HOSTS = new Set([
  "login.microsoftonline.com",
  "login.microsoft.com",
  "login.windows.net",
  "sts.windows.net",
]);
const UNSUPPORTED_MTLS_HOSTS: Record<string, string> = {
  "login.usgovcloudapi.net": "mTLS PoP is not supported in the US Government cloud at login.usgovcloudapi.net.",
  "login.chinacloudapi.cn": "mTLS PoP is not supported in the China cloud at login.chinacloudapi.cn.",
};
/**
 * The global mTLS host of the public cloud.
 *
 * @example
 * ```ts
 * import { mtlsHost, parseAuthority, PUBLIC_MTLS_HOST } from "mtls-pop";
 * console.log(PUBLIC_MTLS_HOST); // "mtlsauth.microsoft.com"
 * const authority = parseAuthority("https://login.microsoftonline.com/contoso.com");
 * mtlsHost(authority, undefined) === PUBLIC_MTLS_HOST; // true: no region, the global host
 * ```
 */
export const PUBLIC_MTLS_HOST = "mtlsauth.microsoft.com";

/**
 * Parses an authority URL and applies the rules: https, Entra ID or dSTS
 * only (B2C, ADFS, CIAM and generic OIDC authorities are
 * `invalid_authority_type`), and tenanted (`common`, `organizations`,
 * `consumers` are `missing_tenanted_authority`).
 *
 * @example
 * ```ts
 * import { parseAuthority } from "mtls-pop";
 * parseAuthority("https://login.microsoftonline.com/contoso.onmicrosoft.com");
 * // { type: "Aad", host: "login.microsoftonline.com", tenant: "contoso.onmicrosoft.com" }
 * ```
 */
export function parseAuthority(authority: string): Authority {
  let url: URL;
  try {
    url = new URL(authority);
  } catch (cause) {
    throw new MsalClientError(ErrorCode.invalidRequest, "The authority is not a URL.", { cause });
  }
  if (url.protocol !== "https:" || url.username || url.password || url.search || url.hash) {
    throw new MsalClientError(
      ErrorCode.invalidRequest,
      "The authority must be a plain https URL, e.g. https://login.microsoftonline.com/<tenant>.",
    );
  }
  const host = url.hostname.toLowerCase();
  // Segments stay percent-encoded: a tenant is letters, digits, dots and hyphens only.
  const segments = url.pathname.split("/").filter(Boolean);
  const first = segments[0]?.toLowerCase();
  if (host.endsWith(".b2clogin.com") || first === "tfp" || segments.some((s) => /^b2c_1a?_/i.test(s))) {
    throw new MsalClientError(ErrorCode.invalidAuthorityType, "mTLS PoP is not supported for B2C authorities.");
  }
  if (first === "adfs") {
    throw new MsalClientError(ErrorCode.invalidAuthorityType, "mTLS PoP is not supported for ADFS authorities.");
  }
  if (host.endsWith(".ciamlogin.com")) {
    throw new MsalClientError(ErrorCode.invalidAuthorityType, "mTLS PoP is not supported for CIAM authorities.");
  }
  const type = first === "dstsv2" ? "Dsts" : "Aad";
  const tenant = type === "Dsts" ? segments[1] : segments[0];
  if (!tenant || NON_TENANTED.has(tenant.toLowerCase())) {
    throw new MsalClientError(
      ErrorCode.missingTenantedAuthority,
      `mTLS PoP needs a tenanted authority (https://${host}/<tenant id or domain>), not ${
        tenant ? `"${tenant}"` : "one without a tenant"
      }.`,
    );
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(tenant)) {
    throw new MsalClientError(ErrorCode.invalidRequest, "The tenant must be a GUID or a domain name.");
  }
  const rest = segments.slice(type === "Dsts" ? 2 : 1);
  if (rest.length > 1 || (rest.length === 1 && rest[0] !== "v2.0")) {
    throw new MsalClientError(
      ErrorCode.invalidAuthorityType,
      "The authority must be https://<host>/<tenant>: this looks like another kind of authority.",
    );
  }
  return { type, host, tenant };
}

/**
 * Whether a region name is acceptable: ASCII letters and digits only, the whole string.
 *
 * @example
 * ```ts
 * import { isValidRegion } from "mtls-pop";
 * isValidRegion("westus3");      // true
 * isValidRegion("west us 3");    // false: ASCII letters and digits only
 * isValidRegion("westus3.evil"); // false
 * ```
 */
export function isValidRegion(region: unknown): region is string {
  return typeof region === "string" && /^[a-zA-Z0-9]+$/.test(region);
}

/**
 * The mTLS host for an authority and region: `{region}.mtlsauth.microsoft.com`
 * for the public cloud, `{region}.mtlsauth.<rest>` for other `login.` hosts,
 * the host itself when it is already regional; without a region, the global
 * host. Unsupported clouds and hosts not starting with `login.` are
 * `mtls_pop_not_supported_for_environment`; an invalid region is refused
 * before it can reach a host name.
 *
 * @example
 * ```ts
 * import { mtlsHost, parseAuthority } from "mtls-pop";
 * mtlsHost(parseAuthority("https://login.microsoftonline.com/contoso.com"), "westus3");
 * // "westus3.mtlsauth.microsoft.com"
 * ```
 */
export function mtlsHost(authority: Authority, region: string | undefined): string {
  const { host } = authority;
  if (UNSUPPORTED_MTLS_HOSTS[host]) {
    throw new MsalClientError(ErrorCode.mtlsPopNotSupportedForEnvironment, UNSUPPORTED_MTLS_HOSTS[host]);
  }
  if (authority.type === "Dsts") return host;
  if (region !== undefined && !isValidRegion(region)) {
    throw new MsalClientError(
      ErrorCode.invalidRequest,
      "The Azure region must be ASCII letters and digits only, e.g. westus3.",
    );
  }
  const r = region?.toLowerCase();
  if (r && host.startsWith(`${r}.`)) return host;
  if (PUBLIC_CLOUD_HOSTS.has(host)) return r ? `${r}.${PUBLIC_MTLS_HOST}` : PUBLIC_MTLS_HOST;
  if (host.startsWith("login.")) {
    const mtls = `mtlsauth.${host.slice("login.".length)}`;
    return r ? `${r}.${mtls}` : mtls;
  }
  throw new MsalClientError(
    ErrorCode.mtlsPopNotSupportedForEnvironment,
    `mTLS PoP is not supported for the authority host ${host}: there is no mTLS endpoint for it.`,
  );
}

/**
 * `https://{mtls host or override}/{tenant}/oauth2/v2.0/token` (dSTS keeps its `dstsv2` path).
 *
 * @example
 * ```ts
 * import { mtlsHost, mtlsTokenEndpoint, parseAuthority } from "mtls-pop";
 * const authority = parseAuthority("https://login.microsoftonline.com/contoso.com");
 * mtlsTokenEndpoint(authority, `https://${mtlsHost(authority, "westus3")}`);
 * // "https://westus3.mtlsauth.microsoft.com/contoso.com/oauth2/v2.0/token"
 * ```
 */
export function mtlsTokenEndpoint(authority: Authority, base: string): string {
  const prefix = authority.type === "Dsts" ? "/dstsv2" : "";
  return `${base.replace(/\/+$/, "")}${prefix}/${encodeURIComponent(authority.tenant)}/oauth2/v2.0/token`;
}
