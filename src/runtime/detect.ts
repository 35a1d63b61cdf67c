/**
 * Picks the transport adapter of the runtime this code runs on.
 *
 * @module
 */

import { BunTransport } from "./bun.ts";
import { DenoTransport } from "./deno.ts";
import { NodeTransport } from "./node.ts";
import type { MtlsTransport, MtlsTransportOptions, RuntimeName } from "./transport.ts";

/**
 * The runtime this code runs on.
 *
 * @example
 * ```ts
 * import { detectRuntime } from "mtls-pop";
 * console.log(detectRuntime()); // "deno", "bun" or "node"
 * ```
 */
export function detectRuntime(): RuntimeName {
  const g = globalThis as { Deno?: { version?: unknown }; Bun?: unknown };
  if (typeof g.Deno === "object" && g.Deno?.version) return "deno";
  if (typeof g.Bun === "object" && g.Bun !== null) return "bun";
  return "node";
}

/**
 * Options of {@link createTransport}.
 *
 * @example
 * ```ts
 * import { createTransport, type CreateTransportOptions } from "mtls-pop";
 * const options: CreateTransportOptions = { runtime: "node", caCertificates: emu.caCertificatePem, timeoutMs: 10_000 };
 * const transport = createTransport(options); // the node:https adapter
 * ```
 */
export interface CreateTransportOptions extends MtlsTransportOptions {
  /** Use this runtime's adapter instead of the detected one. */
  runtime?: RuntimeName;
}

/**
 * Creates the transport for the current runtime (or the one named).
 *
 * @example
 * ```ts
 * import { createTransport } from "mtls-pop";
 * const transport = createTransport({ caCertificates: [caPem] });
 * try {
 *   const res = await transport.send("https://example.com/");
 * } finally {
 *   await transport.close();
 * }
 * ```
 */
export function createTransport(options: CreateTransportOptions = {}): MtlsTransport {
  switch (options.runtime ?? detectRuntime()) {
    case "deno":
      return new DenoTransport(options);
    case "bun":
      return new BunTransport(options);
    default:
      return new NodeTransport(options);
  }
}
