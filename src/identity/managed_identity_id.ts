/**
 * Which managed identity of the VM to use: system-assigned, or user-assigned
 * by client id, resource id or object id.
 *
 * @module
 */

import { hasControlCharacter } from "../core/text.ts";
import { ErrorCode, MsalClientError } from "../core/errors.ts";

/**
 * The kinds of managed identity id.
 *
 * @example
 * ```ts
 * import { ManagedIdentityId, type ManagedIdentityIdKind } from "mtls-pop";
 * const id = ManagedIdentityId.userAssignedResourceId("/subscriptions/.../userAssignedIdentities/my-identity");
 * const kind: ManagedIdentityIdKind = id.kind; // "UserAssignedResourceId"
 * console.log(kind, id.description); // the id itself stays out of the log
 * ```
 */
export type ManagedIdentityIdKind =
  | "SystemAssigned"
  | "UserAssignedClientId"
  | "UserAssignedResourceId"
  | "UserAssignedObjectId";

/**
 * A managed identity.
 *
 * @example
 * ```ts
 * import { ManagedIdentityId } from "mtls-pop";
 * ManagedIdentityId.systemAssigned();
 * ManagedIdentityId.userAssignedClientId("6325cd32-9911-41f3-819c-416cdf9104e7");
 * ManagedIdentityId.userAssignedResourceId("/subscriptions/.../userAssignedIdentities/my-identity");
 * ManagedIdentityId.userAssignedObjectId("ecb2ad92-3e55-4e5a-9c4f-2b7cbd4e8d11");
 * ```
 */
export class ManagedIdentityId {
  /** The kind of id. */
  readonly kind: ManagedIdentityIdKind;
  /** The id value; `undefined` for the system-assigned identity. */
  readonly value: string | undefined;

  private constructor(kind: ManagedIdentityIdKind, value: string | undefined) {
    this.kind = kind;
    this.value = value;
    Object.freeze(this);
  }

  /** The VM's system-assigned identity. */
  static systemAssigned(): ManagedIdentityId {
    return new ManagedIdentityId("SystemAssigned", undefined);
  }

  /** A user-assigned identity by its client (application) id. */
  static userAssignedClientId(clientId: string): ManagedIdentityId {
    return new ManagedIdentityId("UserAssignedClientId", checked(clientId, "client id"));
  }

  /** A user-assigned identity by its ARM resource id. */
  static userAssignedResourceId(resourceId: string): ManagedIdentityId {
    return new ManagedIdentityId("UserAssignedResourceId", checked(resourceId, "resource id"));
  }

  /** A user-assigned identity by its object (principal) id. */
  static userAssignedObjectId(objectId: string): ManagedIdentityId {
    return new ManagedIdentityId("UserAssignedObjectId", checked(objectId, "object id"));
  }

  /** The IMDSv2 query parameter that selects this identity, if any (PROTOCOL.md §1). */
  get queryParameter(): [name: string, value: string] | undefined {
    switch (this.kind) {
      case "UserAssignedClientId":
        return ["client_id", this.value!];
      case "UserAssignedResourceId":
        return ["mi_res_id", this.value!];
      case "UserAssignedObjectId":
        return ["object_id", this.value!];
      default:
        return undefined;
    }
  }

  /** A stable string naming this identity, for cache keys. */
  get key(): string {
    return this.value === undefined ? this.kind : `${this.kind}:${this.value.toLowerCase()}`;
  }

  /** e.g. `user-assigned (client id)`, without the id itself. */
  get description(): string {
    switch (this.kind) {
      case "SystemAssigned":
        return "system-assigned";
      case "UserAssignedClientId":
        return "user-assigned (client id)";
      case "UserAssignedResourceId":
        return "user-assigned (resource id)";
      default:
        return "user-assigned (object id)";
    }
  }
}

function checked(value: string, what: string): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw new MsalClientError(ErrorCode.invalidRequest, `A user-assigned managed identity needs a non-empty ${what}.`);
  }
  // Control characters cannot be part of any Azure id, and would be a header/URL injection risk.
  if (hasControlCharacter(value)) {
    throw new MsalClientError(ErrorCode.invalidRequest, `The ${what} contains control characters.`);
  }
  return value.trim();
}
