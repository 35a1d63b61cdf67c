/**
 * Where minted bindings are kept beyond one application object: the
 * pluggable {@link BindingStore} interface and an in-memory store that
 * several applications (or processes' worth of apps in one process) share.
 *
 * @module
 */

import { fromPem } from "../core/pem.ts";
import { BindingCertificate } from "../core/binding_certificate.ts";
import { samePublicKey } from "../core/certificate.ts";
import { BindingKey } from "../core/keys.ts";
import type { Binding } from "./binding.ts";

/**
 * A binding in storable form. Contains a private key: store it as a secret.
 *
 * @example
 * ```ts
 * import type { BindingStore, StoredBinding } from "mtls-pop";
 * const store: BindingStore = { // keeps bindings in your secrets manager (`secrets` is its client)
 *   async load(key) { const json = await secrets.get(key); return json ? (JSON.parse(json) as StoredBinding) : undefined; },
 *   async save(key, binding: StoredBinding) { await secrets.set(key, JSON.stringify(binding)); }, // holds privateKeyPem
 *   async remove(key) { await secrets.delete(key); },
 * };
 * ```
 */
export interface StoredBinding {
  /** The binding certificate, PEM. */
  certificatePem: string;
  /** Its PKCS#8 private key, PEM. */
  privateKeyPem: string;
  /** Token endpoint to use with it. */
  tokenEndpoint: string;
  /** Canonical client id. */
  clientId: string;
  /** Tenant id. */
  tenantId: string;
  /** Whether IMDS issued it with an attestation token. */
  attested: boolean;
}

/**
 * Keeps bindings by key (IMDS endpoint, identity, attested or not). Bring your
 * own to keep them in a secrets manager.
 *
 * @example
 * ```ts
 * import { type BindingStore, ManagedIdentityApplication, MemoryBindingStore } from "mtls-pop";
 * const store: BindingStore = new MemoryBindingStore();
 * const a = new ManagedIdentityApplication({ bindingStore: store });
 * const b = new ManagedIdentityApplication({ bindingStore: store }); // reuses a's binding
 * ```
 */
export interface BindingStore {
  /** The binding stored under `key`, if any. */
  load(key: string): Promise<StoredBinding | undefined>;
  /** Stores (or replaces) a binding. */
  save(key: string, binding: StoredBinding): Promise<void>;
  /** Forgets a binding. */
  remove(key: string): Promise<void>;
}

/**
 * A {@link BindingStore} in memory, shared by the applications given it.
 *
 * @example
 * ```ts
 * import { MemoryBindingStore } from "mtls-pop";
 * const store = new MemoryBindingStore();
 * ```
 */
export class MemoryBindingStore implements BindingStore {
  readonly #bindings = new Map<string, StoredBinding>();

  /** See {@link BindingStore.load}. */
  load(key: string): Promise<StoredBinding | undefined> {
    return Promise.resolve(this.#bindings.get(key));
  }

  /** See {@link BindingStore.save}. */
  save(key: string, binding: StoredBinding): Promise<void> {
    this.#bindings.set(key, { ...binding });
    return Promise.resolve();
  }

  /** See {@link BindingStore.remove}. */
  remove(key: string): Promise<void> {
    this.#bindings.delete(key);
    return Promise.resolve();
  }

  /** Number of bindings held. */
  get size(): number {
    return this.#bindings.size;
  }
}

/** The storable form of a binding. */
export function toStoredBinding(binding: Binding): StoredBinding {
  return {
    certificatePem: binding.certificate.pem,
    privateKeyPem: binding.certificate.exportPrivateKeyPem(),
    tokenEndpoint: binding.tokenEndpoint,
    clientId: binding.clientId,
    tenantId: binding.tenantId,
    attested: binding.attested,
  };
}

/**
 * A binding back from storage, or `undefined` if what was stored is not a
 * usable binding (wrong shape, unparsable, or a key that does not match the
 * certificate: a tampered store).
 */
export async function fromStoredBinding(stored: unknown): Promise<Binding | undefined> {
  const s = stored as Partial<StoredBinding> | undefined;
  if (
    !s || typeof s.certificatePem !== "string" || typeof s.privateKeyPem !== "string" ||
    typeof s.tokenEndpoint !== "string" || typeof s.clientId !== "string" || typeof s.tenantId !== "string" ||
    typeof s.attested !== "boolean" || !s.tokenEndpoint.startsWith("https://")
  ) {
    return undefined;
  }
  try {
    const key = await BindingKey.fromPkcs8(fromPem(s.privateKeyPem, "PRIVATE KEY"));
    const certificate = await BindingCertificate.create(s.certificatePem, key.exportPkcs8Pem());
    if (!samePublicKey(certificate.spki, key.spki)) return undefined;
    return {
      certificate,
      tokenEndpoint: s.tokenEndpoint,
      clientId: s.clientId,
      tenantId: s.tenantId,
      attested: s.attested,
    };
  } catch {
    return undefined;
  }
}
