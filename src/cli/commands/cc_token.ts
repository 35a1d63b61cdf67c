/**
 * `mtls-pop cc-token`: an mTLS PoP token for a confidential client that
 * presents its own certificate (SNI) to the regional mTLS STS.
 *
 * @module
 */

import { type ClientCertificateInput, ConfidentialClientApplication } from "../../../mod.ts";
import { checkPositionals, COMMON_OPTIONS, parseCommandLine, requireValue } from "../args.ts";
import type { CliCommand } from "../command.ts";
import { TOKEN_OUTPUT_HELP } from "../help.ts";
import type { CliContext } from "../context.ts";
import { CliUsageError, ExitCode } from "../errors.ts";
import { readBinaryFile, readTextFile } from "../files.ts";
import { verboseLogger } from "../logger.ts";
import { renderTokenReportJson, renderTokenReportText, tokenReport } from "../token_report.ts";
import { CA_FILE_ENV, extraTrustedCertificates } from "../trust.ts";

/** The environment variable that replaces `https://{region}.mtlsauth.microsoft.com` (the emulator prints it). */
export const MTLS_ENDPOINT_ENV = "MTLS_POP_MTLS_ENDPOINT";

const DEFAULT_AUTHORITY_HOST = "login.microsoftonline.com";

const OPTIONS = {
  ...COMMON_OPTIONS,
  "client-id": { type: "string" },
  tenant: { type: "string" },
  region: { type: "string" },
  cert: { type: "string" },
  key: { type: "string" },
  pfx: { type: "string" },
  "passphrase-env": { type: "string" },
  scope: { type: "string", multiple: true },
  "authority-host": { type: "string" },
  "mtls-endpoint": { type: "string" },
  "ca-file": { type: "string" },
  json: { type: "boolean" },
  "show-token": { type: "boolean" },
} as const;

/** The parsed flags of `cc-token` that describe the certificate. */
interface CertificateFlags {
  cert?: string;
  key?: string;
  pfx?: string;
  "passphrase-env"?: string;
}

/** `mtls-pop cc-token --client-id ID --tenant T --region R (--cert F --key F | --pfx F [--passphrase-env VAR]) --scope S...` */
export const ccTokenCommand: CliCommand = {
  name: "cc-token",
  help: `Usage: mtls-pop cc-token --client-id ID --tenant TENANT --region REGION
                         (--cert PEMFILE --key PEMFILE | --pfx FILE [--passphrase-env VAR])
                         --scope SCOPE [--scope SCOPE...] [options]

Gets an mtls_pop token for a confidential client: its certificate is the TLS
client certificate to https://{region}.mtlsauth.microsoft.com/{tenant}/oauth2/v2.0/token
(no client assertion is sent). Prints the token's type, source, expiry and
binding certificate; the token itself only with --show-token.

  --client-id ID        the app's client (application) id (required)
  --tenant TENANT       tenant id or domain, e.g. contoso.onmicrosoft.com (required)
  --region REGION       Azure region, e.g. westus3, or TryAutoDetect (required)
  --scope SCOPE         e.g. https://vault.azure.net/.default (required; repeatable)

Certificate (one of):
  --cert PEMFILE        the certificate, PEM (may include its chain)
  --key PEMFILE         its private key, PEM (PKCS#8, PKCS#1 or SEC1)
  --pfx FILE            a PKCS#12 file with certificate and key
  --passphrase-env VAR  the environment variable holding the PFX passphrase
                        (never on the command line, where ps and shell history see it)

Endpoints:
  --authority-host HOST login host (default ${DEFAULT_AUTHORITY_HOST}; sovereign clouds:
                        e.g. login.microsoftonline.us)
  --mtls-endpoint URL   base URL replacing https://{region}.mtlsauth.microsoft.com
                        (default: $${MTLS_ENDPOINT_ENV})
  --ca-file PATH        extra trusted CA certificates, PEM (default: $${CA_FILE_ENV})

${TOKEN_OUTPUT_HELP}`,

  async run(args, context) {
    const { values, positionals } = parseCommandLine("cc-token", args, OPTIONS);
    checkPositionals("cc-token", positionals, 0);
    const clientId = requireValue(values["client-id"], "--client-id", "b3c1f0f4-7f43-4f0e-8f3e-5d1a2c3b4a59");
    const tenant = checkedTenant(requireValue(values.tenant, "--tenant", "contoso.onmicrosoft.com"));
    const region = requireValue(values.region, "--region", "westus3");
    const scopes = values.scope ?? [];
    if (scopes.length === 0) {
      throw new CliUsageError("--scope is required, e.g. --scope https://vault.azure.net/.default.");
    }
    const authorityHost = checkedAuthorityHost(values["authority-host"] ?? DEFAULT_AUTHORITY_HOST);
    const certificate = clientCertificateFrom(values, context);
    const mtlsEndpoint = values["mtls-endpoint"] ?? (context.env(MTLS_ENDPOINT_ENV) || undefined);
    const cca = new ConfidentialClientApplication({
      clientId,
      authority: `https://${authorityHost}/${tenant}`,
      azureRegion: region,
      certificate,
      mtlsEndpoint,
      caCertificates: extraTrustedCertificates(values["ca-file"], context),
      logger: verboseLogger(values.verbose ?? false, context),
    });
    try {
      const result = await cca.acquireTokenForClient({ scopes });
      const showToken = values["show-token"] ?? false;
      context.writeOut(
        values.json
          ? renderTokenReportJson(tokenReport(result, { clientId, tenant, scopes }, { showToken }))
          : renderTokenReportText(result, [["client id", clientId], ["tenant", tenant], ["scopes", scopes.join(" ")]], {
            showToken,
          }),
      );
      return ExitCode.ok;
    } finally {
      await cca.close();
    }
  },
};

/**
 * The certificate from `--cert`/`--key` or `--pfx` (with the passphrase from
 * the environment variable `--passphrase-env` names). Mixing the two forms,
 * or giving half of one, is a usage error.
 */
function clientCertificateFrom(flags: CertificateFlags, context: CliContext): ClientCertificateInput {
  const { cert, key, pfx } = flags;
  const passphraseVariable = flags["passphrase-env"];
  if (pfx !== undefined) {
    if (cert !== undefined || key !== undefined) {
      throw new CliUsageError("give either --pfx or --cert with --key, not both.");
    }
    let passphrase: string | undefined;
    if (passphraseVariable !== undefined) {
      passphrase = context.env(passphraseVariable);
      if (passphrase === undefined) {
        throw new CliUsageError(`--passphrase-env ${passphraseVariable}: that environment variable is not set.`);
      }
    }
    return { pfx: readBinaryFile(pfx, "--pfx"), passphrase };
  }
  if (passphraseVariable !== undefined) {
    throw new CliUsageError("--passphrase-env goes with --pfx; a PEM key is read unencrypted.");
  }
  if (cert === undefined && key === undefined) {
    throw new CliUsageError(
      "a certificate is required: --cert PEMFILE --key PEMFILE, or --pfx FILE [--passphrase-env VAR].",
    );
  }
  if (cert === undefined) throw new CliUsageError("--key needs --cert PEMFILE too.");
  if (key === undefined) throw new CliUsageError("--cert needs --key PEMFILE too.");
  return { certPem: readTextFile(cert, "--cert"), keyPem: readTextFile(key, "--key") };
}

/** The tenant becomes a URL path segment: no slashes, queries or spaces may ride along. */
function checkedTenant(tenant: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(tenant)) {
    throw new CliUsageError(
      `--tenant must be a tenant id or domain name (letters, digits, '.', '-'), not ${JSON.stringify(tenant)}.`,
    );
  }
  return tenant;
}

/** A host name with an optional port; `https://` and a trailing `/` are forgiven. */
function checkedAuthorityHost(value: string): string {
  const host = value.trim().replace(/^https:\/\//i, "").replace(/\/+$/, "");
  if (!/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(host)) {
    throw new CliUsageError(
      `--authority-host must be a host name such as ${DEFAULT_AUTHORITY_HOST}, not ${JSON.stringify(value)}.`,
    );
  }
  return host;
}
