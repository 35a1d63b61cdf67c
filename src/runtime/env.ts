/**
 * Environment variables and platform facts on every runtime. Deno without
 * `--allow-env` reads as unset rather than throwing.
 *
 * @module
 */

import { detectRuntime } from "./detect.ts";

interface DenoEnv {
  env: { get(name: string): string | undefined };
  build: { os: string };
}

/** The value of an environment variable, or `undefined`. */
export function readEnv(name: string): string | undefined {
  try {
    const deno = (globalThis as { Deno?: DenoEnv }).Deno;
    if (deno?.env) return deno.env.get(name);
    const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
    return proc?.env?.[name];
  } catch {
    return undefined;
  }
}

/** Runtime and OS for the `x-client-OS` header, e.g. `linux; node 20.20.2`. */
export function platformDescription(): string {
  const proc =
    (globalThis as { process?: { platform?: string; versions?: Record<string, string | undefined> } }).process;
  const runtime = detectRuntime();
  const os = proc?.platform ?? (globalThis as { Deno?: DenoEnv }).Deno?.build.os ?? "unknown";
  const version = runtime === "deno"
    ? proc?.versions?.deno
    : runtime === "bun"
    ? proc?.versions?.bun
    : proc?.versions?.node;
  return `${os}; ${runtime} ${version ?? ""}`.trim();
}
