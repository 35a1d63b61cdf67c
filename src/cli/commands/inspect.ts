/**
 * `mtls-pop inspect`: decode an access token (without verifying it) and show
 * what matters for mTLS PoP: the `cnf` binding, expiry, audience, app id.
 *
 * @module
 */

import { decodeJwt, decodeProtectedHeader, type JWTPayload, type ProtectedHeaderParameters } from "jose";
import { checkPositionals, COMMON_OPTIONS, parseCommandLine } from "../args.ts";
import type { CliCommand } from "../command.ts";
import { CliErrorCode, CliUsageError, ExitCode } from "../errors.ts";
import { type Field, renderFields, renderJson } from "../output.ts";
import { describeExpiry, relativeTime } from "../time.ts";

const OPTIONS = {
  ...COMMON_OPTIONS,
  json: { type: "boolean" },
} as const;

/** What `inspect --json` prints. */
export interface TokenInspection {
  /** Always `false`: the signature is not checked, only decoded. */
  verified: false;
  /** The JWS protected header. */
  header: ProtectedHeaderParameters;
  /** Every claim, as decoded. */
  claims: JWTPayload;
  /** The `cnf` claim (`{"x5t#S256": ...}` for an mTLS PoP token), or `null`. */
  cnf: Record<string, unknown> | null;
  /** `cnf.x5t#S256`: base64url SHA-256 of the certificate the token is bound to, or `null` (a bearer token). */
  x5tS256: string | null;
  /** `aud`, as in the token. */
  audience: string | string[] | null;
  /** `appid` (v1 tokens) or `azp` (v2 tokens). */
  appId: string | null;
  /** `iat`, ISO 8601. */
  issuedAt: string | null;
  /** `exp`, ISO 8601. */
  expiresAt: string | null;
  /** Whether `exp` has passed. */
  expired: boolean | null;
  /** Seconds until `exp` (negative once expired). */
  expiresInSeconds: number | null;
}

/** `mtls-pop inspect TOKEN|-` */
export const inspectCommand: CliCommand = {
  name: "inspect",
  help: `Usage: mtls-pop inspect TOKEN [--json]
       mtls-pop inspect - [--json]        (reads the token from stdin)

Decodes an access token WITHOUT verifying its signature and shows its header,
its claims, the cnf binding (x5t#S256 of the certificate the token is bound
to), when it was issued and when it expires, its audience and app id.
A leading "mtls_pop " or "Bearer " is ignored, so an Authorization header
value works too.

  --json                print a JSON object instead of text
  --verbose             error details on stderr
  -h, --help            this text

Exit codes: 0 ok, 2 the input is not a JWT.`,

  async run(args, context) {
    const { values, positionals } = parseCommandLine("inspect", args, OPTIONS);
    checkPositionals("inspect", positionals, 1);
    const source = positionals[0];
    if (source === undefined) {
      throw new CliUsageError("give the token to inspect, or - to read it from stdin; see `mtls-pop inspect --help`.");
    }
    const token = withoutScheme(source === "-" ? await context.readStdin() : source);
    const inspection = inspectToken(token, Date.now());
    context.writeOut(values.json ? renderJson(inspection) : renderInspection(inspection));
    return ExitCode.ok;
  },
};

/**
 * Decodes a JWT without verifying it.
 *
 * @param token the compact JWS
 * @param now the current time, ms since epoch
 * @throws CliUsageError `malformed_token` when it is not a JWT
 */
export function inspectToken(token: string, now: number): TokenInspection {
  let header: ProtectedHeaderParameters;
  let claims: JWTPayload;
  try {
    header = decodeProtectedHeader(token);
    claims = decodeJwt(token);
  } catch (error) {
    // jose's messages are clear ("Invalid JWT", "JWTs must contain a payload"); keep the cause for --verbose.
    const reason = error instanceof Error ? error.message.replace(/\.$/, "") : "not a JWT";
    throw new CliUsageError(`the input is not a JWT (${reason}).`, CliErrorCode.malformedToken, { cause: error });
  }
  const cnf = isRecord(claims.cnf) ? claims.cnf : null;
  const x5t = cnf?.["x5t#S256"];
  const exp = numericDate(claims.exp);
  const iat = numericDate(claims.iat);
  const appId = typeof claims.appid === "string" ? claims.appid : typeof claims.azp === "string" ? claims.azp : null;
  return {
    verified: false,
    header,
    claims,
    cnf,
    x5tS256: typeof x5t === "string" ? x5t : null,
    audience: claims.aud ?? null,
    appId,
    issuedAt: iat?.toISOString() ?? null,
    expiresAt: exp?.toISOString() ?? null,
    expired: exp ? exp.getTime() <= now : null,
    expiresInSeconds: exp ? Math.floor((exp.getTime() - now) / 1000) : null,
  };
}

/** The inspection as aligned lines for people (exported for tests). */
export function renderInspection(inspection: TokenInspection, now: number = Date.now()): string {
  const { header, claims } = inspection;
  const iat = numericDate(claims.iat);
  const nbf = numericDate(claims.nbf);
  const exp = numericDate(claims.exp);
  const fields: Field[] = [
    ["signature", "NOT verified (decoded only)"],
    ["header", [
      ["alg", stringOf(header.alg)],
      ["typ", stringOf(header.typ)],
      ["kid", stringOf(header.kid)],
    ]],
    [
      "binding",
      inspection.x5tS256 ? `mtls_pop (cnf x5t#S256 ${inspection.x5tS256})` : "none (no cnf x5t#S256: a bearer token)",
    ],
    [
      "audience",
      audienceText(inspection.audience),
    ],
    ["issuer", stringOf(claims.iss)],
    ["app id", inspection.appId ?? undefined],
    ["tenant", stringOf(claims.tid)],
    ["object id", stringOf(claims.oid)],
    ["issued at", iat ? `${iat.toISOString()} (${relativeTime(iat, now)})` : undefined],
    ["not before", nbf ? `${nbf.toISOString()} (${relativeTime(nbf, now)})` : undefined],
    ["expires", exp ? `${exp.toISOString()} (${describeExpiry(exp, now)})` : "never (no exp claim)"],
  ];
  return renderFields(fields) + "claims\n" + indent(JSON.stringify(claims, null, 2)) + "\n";
}

/** Drops an `Authorization` scheme word, whitespace and line breaks around the token. */
function withoutScheme(input: string): string {
  return input.trim().replace(/^(mtls_pop|bearer|pop)\s+/i, "").trim();
}

/** A NumericDate claim as a Date, if it is a number a Date can hold (±8.64e15 ms). */
function numericDate(value: unknown): Date | undefined {
  return typeof value === "number" && Number.isFinite(value) && Math.abs(value) <= 8.64e12
    ? new Date(value * 1000)
    : undefined;
}

/** `aud` for people: a string, a list joined by commas, or JSON for anything else a token might carry. */
function audienceText(audience: unknown): string | undefined {
  if (audience === null || audience === undefined) return undefined;
  if (typeof audience === "string") return audience;
  if (Array.isArray(audience)) return audience.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(", ");
  return JSON.stringify(audience);
}

function stringOf(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function indent(text: string): string {
  return text.split("\n").map((line) => `  ${line}`).join("\n");
}
