// Soak test: one ManagedIdentityApplication under steady concurrent load
// against the built-in emulator for --seconds (default 60), with tokens going
// stale every 30 s and the binding certificate rotating every 2 minutes.
// Workers mix plain acquireToken calls (four resources) with acquireToken +
// ResourceCaller calls to the emulator's resource over mTLS. It ends with one
// line on stdout:
//
//   calls=<n> failures=<n> remints=<n> handshakes=<n> rssDriftMB=<x>
//
// calls      operations completed (an acquireToken, or an acquireToken plus a resource call)
// failures   operations that threw or got a wrong answer; the goal is 0
// remints    issuecredential requests after the first (about seconds / 120)
// handshakes distinct TLS connections the emulator's STS and resource saw
// rssDriftMB RSS at the end minus RSS after the warm-up (both after a forced
//            collection where the runtime allows one); the goal is about 0
//
// Details and progress go to stderr. Exit status 1 if any call failed.
//
//   npm run soak -- --seconds 300                          (Node, via build/)
//   ./node_modules/deno/deno run -A scripts/soak.ts --seconds 300
//   bun run soak --seconds 300
//
// Options: --seconds N, --concurrency N (workers, default 16), --progress
// (a stderr line every 10 s).
//
// Why the emulator is not simply told "tokens live 30 s, certificates 120 s":
// the library never serves a token within 5 minutes of its expiry, and caps a
// token's expiry at its certificate's notAfter (PROTOCOL.md §4). A 30 s token
// would therefore never be served from the cache, and neither would any token
// bound to a 120 s certificate: every call would go to the STS, which is not
// the load a real service sees. And a binding is renewed once less than a
// quarter of its validity is left (the emulator backdates notBefore by 5 min),
// so a 120 s certificate would be replaced every 15 s, not every 2 minutes.
// No clock can fix the first point (the 5 minutes are measured on the
// application's clock, from a relative expires_in), so the lifetimes below are
// the wanted cadences plus those margins, and the application's clock (its
// `clock` option) runs a fixed amount ahead of real time, so that the
// certificate's renewal point comes 2 minutes after issuance:
//
//   token   expires_in 330 s = 30 s served from the cache + the 5 min margin; no refresh_in,
//           so each token really expires (callers then wait for one shared STS request)
//   cert    900 s; validity 1200 s with the backdating -> renewed when 300 s are left,
//           which is also when the notAfter cap stops its tokens being served
//   clock   the application's clock runs 900 - 300 - 120 = 480 s ahead of the emulator's,
//           so that point is reached 120 s after issuance (the STS, on real time,
//           still has 780 s of validity left then: no call meets an expired certificate)

import process from "node:process";
import { setTimeout as delay } from "node:timers/promises";
import * as v8 from "node:v8";
import * as vm from "node:vm";
import { createTransport, detectRuntime, ManagedIdentityApplication, ResourceCaller } from "../mod.ts";
import { startEmulator } from "../emulator.ts";

const TOKEN_REFETCH_SECONDS = 30;
const CERTIFICATE_ROTATION_SECONDS = 120;
/** The library's margins (PROTOCOL.md §4; `bindingUsable` in src/identity/binding.ts) and the emulator's backdating. */
const TOKEN_EXPIRY_MARGIN_SECONDS = 300;
const EMULATOR_NOT_BEFORE_BACKDATE_SECONDS = 300;
/** With this lifetime, validity/4 equals the token margin: renewal and the notAfter cap coincide. */
const CERTIFICATE_LIFETIME_SECONDS = 4 * TOKEN_EXPIRY_MARGIN_SECONDS - EMULATOR_NOT_BEFORE_BACKDATE_SECONDS;
const TOKEN_LIFETIME_SECONDS = TOKEN_REFETCH_SECONDS + TOKEN_EXPIRY_MARGIN_SECONDS;
const APPLICATION_CLOCK_AHEAD_MS =
  (CERTIFICATE_LIFETIME_SECONDS - TOKEN_EXPIRY_MARGIN_SECONDS - CERTIFICATE_ROTATION_SECONDS) * 1000;

interface SoakOptions {
  seconds: number;
  concurrency: number;
  progress: boolean;
}

function parseArguments(argv: readonly string[]): SoakOptions {
  const options: SoakOptions = { seconds: 60, concurrency: 16, progress: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split("=", 2) as [string, string | undefined];
    const number = () => {
      const text = inline ?? argv[++i];
      const value = Number(text);
      if (!text || !Number.isFinite(value) || value <= 0) usage(`${flag} needs a positive number`);
      return value;
    };
    if (flag === "--seconds") options.seconds = number();
    else if (flag === "--concurrency") options.concurrency = Math.floor(number());
    else if (flag === "--progress") options.progress = true;
    else usage(`unknown argument ${argv[i]}`);
  }
  return options;
}

function usage(problem: string): never {
  console.error(`soak: ${problem}\nusage: soak [--seconds N] [--concurrency N] [--progress]`);
  process.exit(2);
}

/** Forces a full collection where the runtime allows it, so that RSS samples compare live memory, not garbage. */
function collectGarbage(): void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed();
  const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun;
  if (bun) return bun.gc(true);
  try {
    // Node and Deno: expose V8's gc for this process without a command-line flag.
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as unknown;
    if (typeof gc === "function") (gc as () => void)();
  } catch {
    // A runtime without V8's flags: RSS is sampled without a forced collection.
  }
}

/** RSS and live heap after a collection, in MB. */
function memorySample(): { rss: number; heapUsed: number } {
  collectGarbage();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss: rss / 1048576, heapUsed: heapUsed / 1048576 };
}

const options = parseArguments(process.argv.slice(2));
// The warm-up lasts until one token re-fetch and one certificate rotation have
// happened, so that every kind of allocation (a new certificate's connection
// pools and TLS contexts above all) has happened once before the baseline is
// taken: the allocator keeps what it grew to then, and that is not drift.
const warmUpSeconds = Math.min(CERTIFICATE_ROTATION_SECONDS + TOKEN_REFETCH_SECONDS, options.seconds / 2);

const emu = await startEmulator({
  tokenLifetimeSeconds: TOKEN_LIFETIME_SECONDS,
  refreshInSeconds: null,
  certificateLifetimeSeconds: CERTIFICATE_LIFETIME_SECONDS,
});
const resourceOrigin = new URL(emu.resourceUrl).origin;
const resources = [
  "https://vault.azure.net",
  "https://graph.microsoft.com",
  "https://management.azure.com",
  resourceOrigin,
];
const app = new ManagedIdentityApplication({
  imdsEndpoint: emu.imdsEndpoint,
  caCertificates: emu.caCertificatePem,
  clock: () => Date.now() + APPLICATION_CLOCK_AHEAD_MS,
});
// One transport for every ResourceCaller, as a service would share one: it pools connections per certificate.
const resourceTransport = createTransport({ caCertificates: emu.caCertificatePem });

console.error(
  `soak on ${detectRuntime()}: ${options.seconds} s, ${options.concurrency} workers; tokens re-fetched every ` +
    `${TOKEN_REFETCH_SECONDS} s (expires_in ${TOKEN_LIFETIME_SECONDS}), certificate renewed every ` +
    `${CERTIFICATE_ROTATION_SECONDS} s (lifetime ${CERTIFICATE_LIFETIME_SECONDS} s, application clock ` +
    `${APPLICATION_CLOCK_AHEAD_MS / 1000} s ahead); warm-up ${warmUpSeconds} s`,
);

// The emulator records every request; the soak drains that record as it goes so
// that the record itself does not grow for the whole run.
const wire = { issueCredential: 0, token: 0, resource: 0, tlsConnections: new Set<number>() };
function drainRecordedRequests(): void {
  for (const request of emu.requests.splice(0)) {
    if (request.endpoint === "issueCredential") wire.issueCredential++;
    else if (request.endpoint === "token") wire.token++;
    else if (request.endpoint === "resource") wire.resource++;
    if (request.server !== "imds") wire.tlsConnections.add(request.connectionId);
  }
}

const tally = { calls: 0, failures: 0 };
const failureSamples = new Map<string, number>();
function recordFailure(error: unknown): void {
  tally.failures++;
  const e = error as { errorCode?: string; message?: string };
  const text = `${e?.errorCode ?? (error as Error)?.name ?? "error"}: ${String(e?.message ?? error).slice(0, 200)}`;
  failureSamples.set(text, (failureSamples.get(text) ?? 0) + 1);
}

async function acquireOnly(): Promise<void> {
  const resource = resources[Math.floor(Math.random() * resources.length)]!;
  const result = await app.acquireToken({ resource });
  if (result.tokenType !== "mtls_pop" || !result.accessToken) throw new Error(`unexpected result for ${resource}`);
}

async function acquireAndCall(): Promise<void> {
  const result = await app.acquireToken({ resource: resourceOrigin });
  const caller = new ResourceCaller(result, { transport: resourceTransport });
  const body = JSON.parse(await caller.callResource(`${emu.resourceUrl}soak`)) as { ok?: boolean; x5tS256?: string };
  if (body.ok !== true || body.x5tS256 !== result.bindingCertificate.x5tS256) {
    throw new Error(`the resource saw ${body.x5tS256}, the token is bound to ${result.bindingCertificate.x5tS256}`);
  }
}

const startedAt = Date.now();
const endsAt = startedAt + options.seconds * 1000;
async function worker(): Promise<void> {
  while (Date.now() < endsAt) {
    try {
      await (Math.random() < 0.5 ? acquireOnly() : acquireAndCall());
    } catch (error) {
      recordFailure(error);
    }
    tally.calls++;
    // Pacing (jittered so that workers do not move in lockstep): a cache hit
    // settles without a macrotask, so an unpaced loop would starve timers and I/O.
    await delay(20 + Math.random() * 40);
  }
}

let afterWarmUp: { rss: number; heapUsed: number } | undefined;
const ticker = setInterval(() => {
  drainRecordedRequests();
  const elapsed = (Date.now() - startedAt) / 1000;
  if (afterWarmUp === undefined && elapsed >= warmUpSeconds) afterWarmUp = memorySample();
  if (options.progress && Math.round(elapsed) % 10 === 0) {
    console.error(
      `  ${Math.round(elapsed)} s: calls=${tally.calls} failures=${tally.failures} mints=${wire.issueCredential} ` +
        `tokenRequests=${wire.token} resourceRequests=${wire.resource} rssMB=${
          (process.memoryUsage().rss / 1048576).toFixed(1)
        }`,
    );
  }
}, 1000);

await Promise.all(Array.from({ length: options.concurrency }, () => worker()));
clearInterval(ticker);
drainRecordedRequests();
const atEnd = memorySample();
afterWarmUp ??= atEnd;

await app.close();
await resourceTransport.close();
await emu.close();

const elapsedSeconds = (Date.now() - startedAt) / 1000;
const expectedMints = 1 + Math.floor(elapsedSeconds / CERTIFICATE_ROTATION_SECONDS);
console.error(
  `  wire: ${wire.issueCredential} mints (expected about ${expectedMints}), ${wire.token} token requests ` +
    `(about ${resources.length} per ${TOKEN_REFETCH_SECONDS} s expected), ${wire.resource} resource requests; ` +
    `RSS ${afterWarmUp.rss.toFixed(1)} MB after warm-up, ${atEnd.rss.toFixed(1)} MB at the end; ` +
    `live heap ${afterWarmUp.heapUsed.toFixed(1)} MB after warm-up, ${atEnd.heapUsed.toFixed(1)} MB at the end`,
);
for (const [text, count] of failureSamples) console.error(`  failure x${count}: ${text}`);

console.log(
  `calls=${tally.calls} failures=${tally.failures} remints=${Math.max(0, wire.issueCredential - 1)} ` +
    `handshakes=${wire.tlsConnections.size} rssDriftMB=${(atEnd.rss - afterWarmUp.rss).toFixed(1)}`,
);
if (tally.failures > 0) process.exitCode = 1;
