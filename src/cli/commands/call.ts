/**
 * `mtls-pop call`: get a managed identity mTLS PoP token, then call a
 * resource with it over mTLS (the binding certificate as the TLS client
 * certificate) and print the response body.
 *
 * @module
 */

import { ResourceCaller } from "../../../mod.ts";
import { resourceError } from "../../resource/caller.ts";
import { checkPositionals, COMMON_OPTIONS, parseCommandLine, requireValue } from "../args.ts";
import type { CliCommand } from "../command.ts";
import { CliUsageError, ExitCode } from "../errors.ts";
import { verboseLogger } from "../logger.ts";
import {
  describeIdentity,
  MANAGED_IDENTITY_HELP,
  MANAGED_IDENTITY_OPTIONS,
  managedIdentityApplicationFrom,
} from "../managed_identity.ts";
import { extraTrustedCertificates } from "../trust.ts";

const OPTIONS = {
  ...COMMON_OPTIONS,
  ...MANAGED_IDENTITY_OPTIONS,
  method: { type: "string", short: "X" },
  header: { type: "string", short: "H", multiple: true },
  data: { type: "string", short: "d" },
  "token-bound-auth": { type: "boolean" },
} as const;

/** `mtls-pop call URL --resource R [identity] [--method M] [--header 'k: v'...] [--data BODY] [--token-bound-auth]` */
export const callCommand: CliCommand = {
  name: "call",
  help: `Usage: mtls-pop call URL --resource URI [identity] [options]

Gets an mtls_pop token for a managed identity (as \`mtls-pop token\` does) and
calls URL with it: Authorization: mtls_pop <token>, on a TLS connection that
presents the token's binding certificate. Prints the response body; a non-2xx
answer is an error (exit code 1).

  URL                   the https URL to call (required)
  --resource URI        the resource the token is for, e.g. https://vault.azure.net (required)

${MANAGED_IDENTITY_HELP}

Request:
  -X, --method METHOD   HTTP method (default GET, or POST with --data)
  -H, --header 'K: V'   an extra request header (repeatable); Authorization is set for you
  -d, --data BODY       the request body
  --token-bound-auth    send x-ms-tokenboundauth: true (Azure Key Vault needs it)

Output:
  --verbose             the status, the token's source and binding, and the library's
                        steps on stderr
  -h, --help            this text

Exit codes: 0 ok, 1 a service refused (or the resource answered non-2xx),
2 bad usage or a client-side error.`,

  async run(args, context) {
    const { values, positionals } = parseCommandLine("call", args, OPTIONS);
    checkPositionals("call", positionals, 1);
    const url = checkedUrl(positionals[0]);
    const resource = requireValue(values.resource, "--resource", "https://vault.azure.net");
    const headers = (values.header ?? []).map(parseHeader);
    const body = values.data;
    const method = checkedMethod(values.method, body !== undefined);
    const verbose = values.verbose ?? false;

    const caCertificates = extraTrustedCertificates(values["ca-file"], context);
    const app = managedIdentityApplicationFrom(values, context, {
      logger: verboseLogger(verbose, context),
      caCertificates,
    });
    try {
      const result = await app.acquireToken({ resource });
      if (verbose) {
        context.writeErr(
          `mtls-pop: ${result.tokenType} token for ${describeIdentity(app.id)} from ${result.tokenSource}, ` +
            `bound to x5t#S256 ${result.bindingCertificate.x5tS256}\n`,
        );
      }
      await using caller = new ResourceCaller(result, {
        tokenBoundAuth: values["token-bound-auth"] ?? false,
        caCertificates,
      });
      const response = await caller.fetch(url, { method, headers, body });
      const text = await response.text();
      if (verbose) context.writeErr(`mtls-pop: HTTP ${response.status} ${response.statusText}`.trimEnd() + "\n");
      if (!response.ok) throw resourceError(response, text, url);
      context.writeOut(text === "" || text.endsWith("\n") ? text : text + "\n");
      return ExitCode.ok;
    } finally {
      await app.close();
    }
  },
};

function checkedUrl(value: string | undefined): URL {
  if (value === undefined) {
    throw new CliUsageError("the URL to call is required: mtls-pop call https://... --resource URI.");
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliUsageError(`${JSON.stringify(value)} is not an absolute URL.`);
  }
  // The token must never travel in clear text; the library refuses too, this says it earlier and plainer.
  if (url.protocol !== "https:") {
    throw new CliUsageError(`the URL must be https (a PoP token needs mTLS), not ${url.protocol}.`);
  }
  return url;
}

function checkedMethod(value: string | undefined, hasBody: boolean): string {
  if (value === undefined) return hasBody ? "POST" : "GET";
  const method = value.toUpperCase();
  if (!/^[A-Z]+$/.test(method)) {
    throw new CliUsageError(`--method must be an HTTP method such as GET or POST, not ${JSON.stringify(value)}.`);
  }
  if (hasBody && (method === "GET" || method === "HEAD")) {
    throw new CliUsageError(`--data cannot go with --method ${method}.`);
  }
  return method;
}

/** `Name: value` into a pair; an Authorization header is refused rather than silently replaced. */
function parseHeader(line: string): [string, string] {
  const colon = line.indexOf(":");
  const name = colon > 0 ? line.slice(0, colon).trim() : "";
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
    throw new CliUsageError(`--header must look like 'Name: value', not ${JSON.stringify(line)}.`);
  }
  const value = line.slice(colon + 1).trim();
  if (/[\r\n\0]/.test(value)) throw new CliUsageError(`--header ${name}: the value must be one line.`);
  if (name.toLowerCase() === "authorization") {
    throw new CliUsageError("--header Authorization: mtls-pop sets Authorization: mtls_pop <token> itself.");
  }
  return [name, value];
}
