/**
 * The managed identity flags shared by `token` and `call`: which identity
 * (`--client-id`, `--resource-id`, `--object-id`, or none for the
 * system-assigned one) and where IMDS is.
 *
 * @module
 */

import { type Logger, ManagedIdentityApplication, ManagedIdentityId } from "../../mod.ts";
import { DEFAULT_IMDS_ENDPOINT } from "../identity/imds.ts";
import type { OptionDefinitions } from "./args.ts";
import type { CliContext } from "./context.ts";
import { CliUsageError } from "./errors.ts";
import { CA_FILE_ENV } from "./trust.ts";

/** The environment variable that replaces the IMDS base URL (as in the Azure SDKs). */
export const IMDS_ENDPOINT_ENV = "AZURE_POD_IDENTITY_AUTHORITY_HOST";

/** The flags that choose a managed identity and reach IMDS. */
export const MANAGED_IDENTITY_OPTIONS = {
  resource: { type: "string" },
  "client-id": { type: "string" },
  "resource-id": { type: "string" },
  "object-id": { type: "string" },
  "imds-endpoint": { type: "string" },
  "ca-file": { type: "string" },
} as const satisfies OptionDefinitions;

/** Help text lines for {@link MANAGED_IDENTITY_OPTIONS} (but `--resource`, which each command words itself). */
export const MANAGED_IDENTITY_HELP = `Identity (at most one; none means the system-assigned identity):
  --client-id ID        a user-assigned identity by client id
  --resource-id ID      a user-assigned identity by ARM resource id
  --object-id ID        a user-assigned identity by object (principal) id

Endpoints:
  --imds-endpoint URL   IMDS base URL (default: $AZURE_POD_IDENTITY_AUTHORITY_HOST,
                        else http://169.254.169.254)
  --ca-file PATH        extra trusted CA certificates, PEM (default: $${CA_FILE_ENV})`;

/** The parsed values of {@link MANAGED_IDENTITY_OPTIONS}. */
export interface ManagedIdentityFlags {
  "client-id"?: string;
  "resource-id"?: string;
  "object-id"?: string;
  "imds-endpoint"?: string;
  "ca-file"?: string;
}

/**
 * The identity the flags name; more than one of them is a usage error.
 *
 * @param flags the parsed flags
 */
export function managedIdentityIdFrom(flags: ManagedIdentityFlags): ManagedIdentityId {
  const given = (["client-id", "resource-id", "object-id"] as const).filter((flag) => flags[flag] !== undefined);
  if (given.length > 1) {
    throw new CliUsageError(
      `--${given[0]} and --${
        given[1]
      } both name an identity; give at most one of --client-id, --resource-id, --object-id.`,
    );
  }
  const clientId = flags["client-id"];
  const resourceId = flags["resource-id"];
  const objectId = flags["object-id"];
  if (clientId !== undefined) return ManagedIdentityId.userAssignedClientId(nonEmpty(clientId, "--client-id"));
  if (resourceId !== undefined) return ManagedIdentityId.userAssignedResourceId(nonEmpty(resourceId, "--resource-id"));
  if (objectId !== undefined) return ManagedIdentityId.userAssignedObjectId(nonEmpty(objectId, "--object-id"));
  return ManagedIdentityId.systemAssigned();
}

/**
 * A {@link ManagedIdentityApplication} configured from the flags and the
 * environment; close it when done.
 *
 * @param flags the parsed flags
 * @param context where the environment is read
 * @param options where library log lines go (with `--verbose`), extra trusted roots
 */
export function managedIdentityApplicationFrom(
  flags: ManagedIdentityFlags,
  context: CliContext,
  options: { logger: Logger | undefined; caCertificates: string | undefined },
): ManagedIdentityApplication {
  return new ManagedIdentityApplication({
    id: managedIdentityIdFrom(flags),
    // Chosen here rather than left to the library so that a set-but-empty variable means "unset", not "no URL".
    imdsEndpoint: flags["imds-endpoint"] ?? (context.env(IMDS_ENDPOINT_ENV) || DEFAULT_IMDS_ENDPOINT),
    caCertificates: options.caCertificates,
    logger: options.logger,
  });
}

/** A readable description of the identity, with its id when it has one. */
export function describeIdentity(id: ManagedIdentityId): string {
  return id.value === undefined ? id.description : `${id.description} ${id.value}`;
}

function nonEmpty(value: string, flag: string): string {
  if (value.trim() === "") throw new CliUsageError(`${flag} needs a value.`);
  return value;
}

/**
 * Who a managed identity token is for, as `--json` prints it:
 * `{ identityKind, identityId?, resource }`.
 *
 * @param id the identity
 * @param resource the resource the token is for
 */
export function identitySubject(id: ManagedIdentityId, resource: string): Record<string, string> {
  return { identityKind: id.kind, ...(id.value === undefined ? {} : { identityId: id.value }), resource };
}
