/**
 * The optional logger. Levels as in MSAL; PII (client ids, object ids,
 * resource ids) is written only when `piiLoggingEnabled` is set. Tokens,
 * private keys and CSRs are never written, whatever the settings.
 *
 * @module
 */

/**
 * Severity, most severe first.
 *
 * @example
 * ```ts
 * import { type LogLevel, ManagedIdentityApplication } from "mtls-pop";
 * const level: LogLevel = debug ? "verbose" : "warning";
 * const app = new ManagedIdentityApplication({
 *   logger: { level, log: (lineLevel, message) => console.error(`[mtls-pop] ${lineLevel}: ${message}`) },
 * });
 * ```
 */
export type LogLevel = "error" | "warning" | "info" | "verbose";

const ORDER: Record<LogLevel, number> = { error: 0, warning: 1, info: 2, verbose: 3 };

/**
 * Receives log lines.
 *
 * @example
 * ```ts
 * import type { Logger } from "mtls-pop";
 * const logger: Logger = {
 *   level: "info",
 *   piiLoggingEnabled: false,
 *   log: (level, message) => console.error(`[mtls-pop] ${level}: ${message}`),
 * };
 * ```
 */
export interface Logger {
  /** The least severe level written; `"info"` by default. */
  level?: LogLevel;
  /** Write identifiers (client, object and resource ids); off by default. */
  piiLoggingEnabled?: boolean;
  /** Called for each line at or above `level`. */
  log(level: LogLevel, message: string): void;
}

/** A value that is PII: shown only when the logger allows PII. */
export class Pii {
  /**
   * Creates it.
   *
   * @param value the identifying value
   */
  constructor(readonly value: string) {}
}

/** Marks a value as PII in a log message. */
export const pii = (value: string | undefined): Pii => new Pii(value ?? "");

/** The library's view of a {@link Logger}: levels, PII redaction, never throws. */
export class LibraryLogger {
  readonly #sink: Logger | undefined;
  readonly #threshold: number;

  /**
   * Creates it.
   *
   * @param sink the user's logger, if any
   */
  constructor(sink?: Logger) {
    this.#sink = sink;
    this.#threshold = ORDER[sink?.level ?? "info"] ?? ORDER.info;
  }

  /** Whether a line at `level` would be written. */
  enabled(level: LogLevel): boolean {
    return this.#sink !== undefined && ORDER[level] <= this.#threshold;
  }

  /**
   * Writes a line built from template parts; {@link Pii} parts are redacted
   * unless PII logging is on.
   */
  write(level: LogLevel, parts: TemplateStringsArray, ...values: Array<string | number | Pii | undefined>): void {
    if (!this.enabled(level)) return;
    const showPii = this.#sink!.piiLoggingEnabled === true;
    let line = parts[0] ?? "";
    values.forEach((v, i) => {
      line += (v instanceof Pii ? (showPii ? v.value : "[PII redacted]") : String(v)) + (parts[i + 1] ?? "");
    });
    try {
      this.#sink!.log(level, line);
    } catch {
      // a failing logger must not fail token acquisition
    }
  }

  /** `write("error", ...)`. */
  error(parts: TemplateStringsArray, ...values: Array<string | number | Pii | undefined>): void {
    this.write("error", parts, ...values);
  }
  /** `write("warning", ...)`. */
  warning(parts: TemplateStringsArray, ...values: Array<string | number | Pii | undefined>): void {
    this.write("warning", parts, ...values);
  }
  /** `write("info", ...)`. */
  info(parts: TemplateStringsArray, ...values: Array<string | number | Pii | undefined>): void {
    this.write("info", parts, ...values);
  }
  /** `write("verbose", ...)`. */
  verbose(parts: TemplateStringsArray, ...values: Array<string | number | Pii | undefined>): void {
    this.write("verbose", parts, ...values);
  }
}
