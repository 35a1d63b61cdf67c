/**
 * `mtls-pop token`: an mTLS PoP token for a managed identity (IMDSv2).
 *
 * @module
 */

import { checkPositionals, COMMON_OPTIONS, parseCommandLine, requireValue } from "../args.ts";
import type { CliCommand } from "../command.ts";
import { TOKEN_OUTPUT_HELP } from "../help.ts";
import { ExitCode } from "../errors.ts";
import { verboseLogger } from "../logger.ts";
import {
  describeIdentity,
  identitySubject,
  MANAGED_IDENTITY_HELP,
  MANAGED_IDENTITY_OPTIONS,
  managedIdentityApplicationFrom,
} from "../managed_identity.ts";
import { extraTrustedCertificates } from "../trust.ts";
import { renderTokenReportJson, renderTokenReportText, tokenReport } from "../token_report.ts";

const OPTIONS = {
  ...COMMON_OPTIONS,
  ...MANAGED_IDENTITY_OPTIONS,
  json: { type: "boolean" },
  "show-token": { type: "boolean" },
} as const;

/** `mtls-pop token --resource R [--client-id ID | --resource-id ID | --object-id ID] [--json]` */
export const tokenCommand: CliCommand = {
  name: "token",
  help: `Usage: mtls-pop token --resource URI [identity] [options]

Gets an mtls_pop token for a managed identity over IMDSv2: makes a key and a
CSR, has IMDS issue the binding certificate, and asks the regional mTLS STS
for the token over mTLS. Prints the token's type, source, expiry and binding
certificate; the token itself only with --show-token.

  --resource URI        the resource, e.g. https://vault.azure.net (required)

${MANAGED_IDENTITY_HELP}

${TOKEN_OUTPUT_HELP}`,

  async run(args, context) {
    const { values, positionals } = parseCommandLine("token", args, OPTIONS);
    checkPositionals("token", positionals, 0);
    const resource = requireValue(values.resource, "--resource", "https://vault.azure.net");
    const app = managedIdentityApplicationFrom(values, context, {
      logger: verboseLogger(values.verbose ?? false, context),
      caCertificates: extraTrustedCertificates(values["ca-file"], context),
    });
    try {
      const result = await app.acquireToken({ resource });
      const showToken = values["show-token"] ?? false;
      const identity = describeIdentity(app.id);
      context.writeOut(
        values.json
          ? renderTokenReportJson(tokenReport(result, identitySubject(app.id, resource), { showToken }))
          : renderTokenReportText(result, [["identity", identity], ["resource", resource]], { showToken }),
      );
      return ExitCode.ok;
    } finally {
      await app.close();
    }
  },
};
