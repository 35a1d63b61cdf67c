/**
 * A {@link BindingStore} in files, so that a binding outlives the process
 * that minted it: a service restarted ten times an hour mints once per
 * certificate lifetime, not once per start. Opt-in, because a binding holds a
 * private key and keeping one on disk is the application's decision.
 *
 * Layout: one file per key, named by the SHA-256 of the key (the key holds the
 * IMDS URL and the identity, which need not be on display), mode 0600, in a
 * directory only its owner can write (created 0700). A save writes a
 * temporary file next to the target, flushes it to disk and renames it over
 * the target: readers and other processes see the old binding or the new one,
 * never part of one. A file that is not a binding of this store is reported
 * as absent, so the application mints a new binding and overwrites it.
 *
 * @module
 */

import { promises as fs } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import process from "node:process";
import { toHex } from "../core/base64.ts";
import { ErrorCode, MsalClientError } from "../core/errors.ts";
import type { BindingStore, StoredBinding } from "../identity/binding_store.ts";
import { readEnv } from "./env.ts";

/**
 * Options of {@link FileBindingStore}.
 *
 * @example
 * ```ts
 * import { FileBindingStore, type FileBindingStoreOptions } from "mtls-pop";
 * const options: FileBindingStoreOptions = { directory: "/var/lib/myservice/mtls-bindings" };
 * const store = new FileBindingStore(options);
 * ```
 */
export interface FileBindingStoreOptions {
  /**
   * Directory of the binding files; {@link defaultBindingStoreDirectory} when
   * absent. Created with mode 0700 if missing. An existing one must belong to
   * the current user and not be writable by group or others.
   */
  directory?: string;
}

/** Written into every file, so that a file of another program or version is not taken for a binding. */
const FILE_FORMAT = "mtls-pop/binding-store/1";
/** A binding file is about 4 KB; anything much larger was not written by this store. */
const MAX_FILE_BYTES = 64 * 1024;
/** A temporary file this old belongs to a writer that died between write and rename. */
const ABANDONED_TEMP_FILE_MS = 10 * 60_000;
const TEMP_FILE = /^[0-9a-f]{64}\.json\.[0-9a-f]{16}\.tmp$/;

/** What a binding file holds. */
interface BindingFile {
  format: typeof FILE_FORMAT;
  /** The full key, checked on load: a file copied or renamed to another key's name is not that key's binding. */
  key: string;
  binding: StoredBinding;
}

/**
 * Where a {@link FileBindingStore} keeps bindings when no directory is given:
 * `$XDG_STATE_HOME/mtls-pop/bindings` when that variable holds an absolute
 * path, `%LOCALAPPDATA%\mtls-pop\bindings` on Windows, else
 * `~/.mtls-pop/bindings`.
 *
 * @example
 * ```ts
 * import { defaultBindingStoreDirectory } from "mtls-pop";
 * console.log(defaultBindingStoreDirectory()); // e.g. /home/me/.mtls-pop/bindings
 * ```
 */
export function defaultBindingStoreDirectory(): string {
  const stateHome = readEnv("XDG_STATE_HOME");
  // The XDG spec says a relative value is invalid and must be ignored.
  if (stateHome && isAbsolute(stateHome)) return join(stateHome, "mtls-pop", "bindings");
  if (process.platform === "win32") {
    const localAppData = readEnv("LOCALAPPDATA");
    if (localAppData && isAbsolute(localAppData)) return join(localAppData, "mtls-pop", "bindings");
  }
  const home = homedir();
  if (!home) {
    throw new MsalClientError(
      ErrorCode.invalidRequest,
      "There is no home directory for the default binding store; give FileBindingStore a directory.",
    );
  }
  return join(home, ".mtls-pop", "bindings");
}

/**
 * A {@link BindingStore} that keeps each binding in its own file, so that
 * bindings survive restarts and are shared by the processes of one user.
 * The files hold private keys: they are created with mode 0600 in a directory
 * only their owner can write, and the store refuses (error code
 * `binding_store_unsafe`) a directory that is writable by group or others or
 * belongs to another user. On Windows those POSIX modes do not apply; the
 * directory's ACL (by default, the user profile's) is what protects the keys.
 *
 * A damaged, foreign or tampered file is reported as absent rather than as an
 * error, so the application mints a new binding and replaces the file. (A file
 * whose key does not match its certificate has the right shape and is caught
 * by the application, which then does the same.)
 *
 * @example
 * ```ts
 * import { FileBindingStore, ManagedIdentityApplication } from "mtls-pop";
 * const app = new ManagedIdentityApplication({ bindingStore: new FileBindingStore() });
 * const result = await app.acquireToken({ resource: "https://vault.azure.net" });
 * // The next process to start reuses the binding certificate instead of asking IMDS for one.
 * ```
 */
export class FileBindingStore implements BindingStore {
  /** The absolute path of the directory holding the binding files. */
  readonly directory: string;
  #abandonedTempFilesSwept = false;

  /**
   * Creates the store. Nothing is read or written until the first call; that
   * call creates the directory if needed and checks it.
   *
   * @param options where to keep the files
   */
  constructor(options: FileBindingStoreOptions = {}) {
    const directory = options.directory ?? defaultBindingStoreDirectory();
    if (typeof directory !== "string" || directory.trim() === "") {
      throw new MsalClientError(ErrorCode.invalidRequest, "FileBindingStore needs a non-empty directory path.");
    }
    this.directory = resolve(directory);
  }

  /** See {@link BindingStore.load}. A file that is not a valid binding of `key` reads as `undefined`. */
  async load(key: string): Promise<StoredBinding | undefined> {
    const path = await this.#pathFor(key);
    let handle: FileHandle;
    try {
      handle = await fs.open(path, "r");
    } catch (error) {
      if (errorCodeOf(error) === "ENOENT") return undefined;
      throw storeFailure(`Could not open the binding file in ${this.directory}`, error);
    }
    let text: string;
    try {
      const stat = await handle.stat();
      // A file others can read may have leaked its key: better a fresh binding than that one.
      if (!stat.isFile() || stat.size > MAX_FILE_BYTES || !privateToCurrentUser(stat)) return undefined;
      text = await handle.readFile("utf8");
    } catch (error) {
      throw storeFailure(`Could not read the binding file in ${this.directory}`, error);
    } finally {
      await handle.close().catch(() => {});
    }
    return parseBindingFile(text, key);
  }

  /** See {@link BindingStore.save}. Replaces the file atomically: readers see the old binding or the new one. */
  async save(key: string, binding: StoredBinding): Promise<void> {
    if (!isStoredBinding(binding)) {
      throw new MsalClientError(ErrorCode.invalidRequest, "FileBindingStore.save needs a StoredBinding.");
    }
    const path = await this.#pathFor(key);
    await this.#sweepAbandonedTempFiles();
    const file: BindingFile = { format: FILE_FORMAT, key, binding: storedBindingFields(binding) };
    // A random suffix per write: two processes saving at once each write their own file.
    const tempPath = `${path}.${randomHex(8)}.tmp`;
    let handle: FileHandle | undefined;
    try {
      // "wx": never follow or reuse something already at that name.
      handle = await fs.open(tempPath, "wx", 0o600);
      await handle.writeFile(JSON.stringify(file), "utf8");
      // On disk before the rename, so that a crash cannot leave an empty file under the final name.
      await handle.sync();
      await handle.close();
      handle = undefined;
      await fs.rename(tempPath, path);
    } catch (error) {
      await handle?.close().catch(() => {});
      await fs.unlink(tempPath).catch(() => {});
      throw storeFailure(`Could not write the binding file in ${this.directory}`, error);
    }
    await syncDirectory(this.directory);
  }

  /** See {@link BindingStore.remove}. Removing a binding that is not there (or that another process just removed) is not an error. */
  async remove(key: string): Promise<void> {
    const path = await this.#pathFor(key);
    try {
      await fs.unlink(path);
    } catch (error) {
      if (errorCodeOf(error) !== "ENOENT") {
        throw storeFailure(`Could not remove the binding file in ${this.directory}`, error);
      }
    }
  }

  async #pathFor(key: string): Promise<string> {
    if (typeof key !== "string" || key === "") {
      throw new MsalClientError(ErrorCode.invalidRequest, "A binding store key must be a non-empty string.");
    }
    // Checked on every call, not once: the directory can be changed under a long-running process.
    await this.#ensureSafeDirectory();
    return join(this.directory, `${await sha256Hex(key)}.json`);
  }

  async #ensureSafeDirectory(): Promise<void> {
    let stat: Awaited<ReturnType<typeof fs.stat>>;
    try {
      const created = await fs.mkdir(this.directory, { recursive: true, mode: 0o700 });
      // mkdir's mode is filtered by the umask; make the directory exactly user-only.
      if (created !== undefined && isPosix()) await fs.chmod(this.directory, 0o700);
      stat = await fs.stat(this.directory);
    } catch (error) {
      if (errorCodeOf(error) === "EEXIST" || errorCodeOf(error) === "ENOTDIR") throw notADirectory(this.directory);
      throw storeFailure(`Could not create or inspect the binding store directory ${this.directory}`, error);
    }
    if (!stat.isDirectory()) throw notADirectory(this.directory);
    if (!isPosix()) return;
    const uid = currentUserId();
    if (uid !== undefined && stat.uid !== uid) {
      throw new MsalClientError(
        ErrorCode.bindingStoreUnsafe,
        `The binding store directory ${this.directory} belongs to user ${stat.uid}, not to the current user ${uid}; ` +
          "private keys are only kept in a directory of your own.",
      );
    }
    if ((stat.mode & 0o022) !== 0) {
      throw new MsalClientError(
        ErrorCode.bindingStoreUnsafe,
        `The binding store directory ${this.directory} is writable by ${
          (stat.mode & 0o002) ? "everyone" : "its group"
        } ` +
          `(mode ${(stat.mode & 0o777).toString(8)}); run chmod 700 on it or choose another directory.`,
      );
    }
  }

  /** Removes temporary files of writers that died before renaming them: they hold private keys. */
  async #sweepAbandonedTempFiles(): Promise<void> {
    if (this.#abandonedTempFilesSwept) return;
    this.#abandonedTempFilesSwept = true;
    try {
      const cutoff = Date.now() - ABANDONED_TEMP_FILE_MS;
      for (const name of await fs.readdir(this.directory)) {
        if (!TEMP_FILE.test(name)) continue;
        const path = join(this.directory, name);
        const stat = await fs.stat(path).catch(() => undefined);
        if (stat && stat.mtimeMs < cutoff) await fs.unlink(path).catch(() => {});
      }
    } catch {
      // Tidying up is a courtesy; a save does not fail for it.
    }
  }
}

/** The binding in `text` if it is a binding file of this store for `key`. */
function parseBindingFile(text: string, key: string): StoredBinding | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const file = parsed as Partial<BindingFile> | null;
  if (typeof file !== "object" || file === null || file.format !== FILE_FORMAT || file.key !== key) return undefined;
  return isStoredBinding(file.binding) ? storedBindingFields(file.binding) : undefined;
}

function isStoredBinding(value: unknown): value is StoredBinding {
  const b = value as Partial<StoredBinding> | null | undefined;
  return typeof b === "object" && b !== null &&
    typeof b.certificatePem === "string" && typeof b.privateKeyPem === "string" &&
    typeof b.tokenEndpoint === "string" && typeof b.clientId === "string" &&
    typeof b.tenantId === "string" && typeof b.attested === "boolean";
}

/** Only the fields of a {@link StoredBinding}: nothing else a caller's object carries is written to disk. */
function storedBindingFields(b: StoredBinding): StoredBinding {
  return {
    certificatePem: b.certificatePem,
    privateKeyPem: b.privateKeyPem,
    tokenEndpoint: b.tokenEndpoint,
    clientId: b.clientId,
    tenantId: b.tenantId,
    attested: b.attested,
  };
}

function isPosix(): boolean {
  return process.platform !== "win32";
}

function currentUserId(): number | undefined {
  return typeof process.getuid === "function" ? process.getuid() : undefined;
}

/** Mode 0600 (no group or other bits) and owned by the current user; always true where POSIX modes do not apply. */
function privateToCurrentUser(stat: { mode: number; uid: number }): boolean {
  if (!isPosix()) return true;
  const uid = currentUserId();
  return (stat.mode & 0o077) === 0 && (uid === undefined || stat.uid === uid);
}

/** Makes a rename durable; not every platform can open a directory, and the rename itself is already atomic. */
async function syncDirectory(directory: string): Promise<void> {
  if (!isPosix()) return;
  let handle: FileHandle | undefined;
  try {
    handle = await fs.open(directory, "r");
    await handle.sync();
  } catch {
    // Best effort: without it a power cut may undo the rename, leaving the previous binding.
  } finally {
    await handle?.close().catch(() => {});
  }
}

async function sha256Hex(text: string): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))));
}

function randomHex(bytes: number): string {
  return toHex(crypto.getRandomValues(new Uint8Array(bytes)));
}

function errorCodeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function storeFailure(what: string, cause: unknown): MsalClientError {
  const code = errorCodeOf(cause);
  return new MsalClientError(ErrorCode.bindingStoreFailed, `${what}${code ? ` (${code})` : ""}.`, { cause });
}

function notADirectory(path: string): MsalClientError {
  return new MsalClientError(
    ErrorCode.bindingStoreUnsafe,
    `The binding store path ${path} exists and is not a directory.`,
  );
}
