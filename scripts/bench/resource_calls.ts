// Item 4: sequential calls to the emulator's protected resource with an
// mTLS PoP token. Ours (ResourceCaller) against the plain keep-alive client a
// programmer would write on this runtime with the same certificate, and
// against naive code that opens a new TLS connection per call. Connections
// are counted from the emulator's record (connectionId of each request).
import * as https from "node:https";
import * as tls from "node:tls";
import {
  type AuthenticationResult,
  createTransport,
  detectRuntime,
  ManagedIdentityApplication,
  ResourceCaller,
} from "../../mod.ts";
import type { Emulator } from "../../emulator.ts";
import { median, nowMs } from "./timing.ts";

/** One way of calling the resource. */
interface Client {
  /** What it is, for the report. */
  readonly name: string;
  /** One call; rejects unless the resource answered 200. */
  call(): Promise<void>;
  close(): Promise<void>;
}

/** Figures of one client. */
export interface ClientFigures {
  name: string;
  /** Measured calls (the warm-up is not counted). */
  calls: number;
  /** Time of the measured calls, ms. */
  totalMs: number;
  /** Median over rounds of the round's calls per second. */
  callsPerSecond: number;
  /** TLS connections the emulator saw for these calls. */
  connections: number;
}

/** What item 4 measured on one runtime. */
export interface ResourceCallsResult {
  ours: ClientFigures;
  /** The plain keep-alive client with the same certificate (the goal's baseline). */
  keepAlive: ClientFigures;
  /** A new TLS connection per call. */
  newConnectionPerCall: ClientFigures;
  /** Ours without ResourceCaller (the transport alone): splits our overhead between the two layers. */
  transportOnly: ClientFigures;
  /** Other keep-alive clients, for reference: trusting the emulator CA alone, and node:https on Deno and Bun. */
  others: ClientFigures[];
  /** Node only: what a `ca` list of the system roots plus one CA costs node:https, measured here. */
  nodeTlsCosts?: NodeTlsCosts;
}

/** Costs node:https has with a large `ca` list, each measured alone. */
export interface NodeTlsCosts {
  /** Roots in the list ours passes (system roots + the emulator CA). */
  roots: number;
  /** `tls.createSecureContext` with that list, ms (tls.connect does this for every new connection not given a `secureContext`). */
  secureContextAllRootsMs: number;
  /** The same with the emulator CA alone, ms. */
  secureContextOneRootMs: number;
  /** `https.Agent#getName` with that list, µs (called on every request's way in and out of the pool). */
  agentGetNameAllRootsUs: number;
  /** The same with the emulator CA alone, µs. */
  agentGetNameOneRootUs: number;
}

/** Measures {@link NodeTlsCosts}. */
function measureNodeTlsCosts(emu: Emulator, token: AuthenticationResult): NodeTlsCosts {
  const all = [...tls.rootCertificates, emu.caCertificatePem];
  const one = [emu.caCertificatePem];
  const cert = token.bindingCertificate.chainPem;
  const key = token.bindingCertificate.exportPrivateKeyPem();
  const average = (runs: number, work: () => unknown) => {
    work();
    const started = nowMs();
    for (let i = 0; i < runs; i++) work();
    return (nowMs() - started) / runs;
  };
  const agent = new https.Agent({ keepAlive: true });
  const name = (ca: string[]) => () => agent.getName({ host: "127.0.0.1", port: 443, ca, cert, key });
  const costs = {
    roots: all.length,
    secureContextAllRootsMs: average(10, () => tls.createSecureContext({ ca: all, cert, key })),
    secureContextOneRootMs: average(10, () => tls.createSecureContext({ ca: one, cert, key })),
    agentGetNameAllRootsUs: 1000 * average(200, name(all)),
    agentGetNameOneRootUs: 1000 * average(200, name(one)),
  };
  agent.destroy();
  return costs;
}

/** Options of {@link measureResourceCalls}. */
export interface ResourceCallsOptions {
  /** Calls per client (2,000 by default). */
  calls?: number;
  /** Calls for the new-connection-per-call client, if fewer (each costs a full handshake). */
  naiveCalls?: number;
  /** The measured calls are made in this many rounds, each client once per round (20 by default). */
  rounds?: number;
}

function expectOk(status: number, body: string, who: string): void {
  if (status !== 200 || !body.includes('"ok":true')) throw new Error(`${who}: HTTP ${status} ${body.slice(0, 200)}`);
}

/** Ours: the library's ResourceCaller, pooled keep-alive connections. */
function oursClient(token: AuthenticationResult, emu: Emulator, url: string): Client {
  const caller = new ResourceCaller(token, { caCertificates: emu.caCertificatePem });
  return {
    name: "ResourceCaller (ours)",
    call: async () => {
      const body = await caller.callResource(url);
      expectOk(200, body, "ResourceCaller");
    },
    close: () => caller.close(),
  };
}

/** Ours without ResourceCaller: the runtime's transport from `createTransport`, then `text()`. */
function transportClient(token: AuthenticationResult, emu: Emulator, url: string): Client {
  const transport = createTransport({ caCertificates: emu.caCertificatePem });
  const headers = { authorization: `mtls_pop ${token.accessToken}` };
  return {
    name: "createTransport().send() + text() (ours, without ResourceCaller)",
    call: async () => {
      const res = await transport.send(url, { headers, clientCertificate: token.bindingCertificate });
      expectOk(res.status, await res.text(), "transport");
    },
    close: () => transport.close(),
  };
}

/**
 * Which roots a baseline trusts: `"ours"` = what ResourceCaller trusts when
 * given `caCertificates` (the system roots plus the emulator's CA, the same
 * TLS configuration), `"emulator"` = the emulator's CA alone, as hand-written
 * code usually has it.
 */
type Trust = "ours" | "emulator";

function rootsFor(trust: Trust, emu: Emulator): string[] {
  return trust === "ours" ? [...tls.rootCertificates, emu.caCertificatePem] : [emu.caCertificatePem];
}

/**
 * How a node:https client is set up: a keep-alive agent given the TLS
 * material as a prebuilt `secureContext` (the efficient way, and what
 * NodeTransport does) or as `ca`/`cert`/`key` options (the common idiom), or
 * `agent: false` (a new connection per request).
 */
type NodeHttpsMode = "secureContext" | "agentOptions" | "newConnection";

function nodeHttpsClient(
  name: string,
  token: AuthenticationResult,
  emu: Emulator,
  url: string,
  mode: NodeHttpsMode,
  trust: Trust,
): Client {
  const material = {
    ca: rootsFor(trust, emu),
    cert: token.bindingCertificate.chainPem,
    key: token.bindingCertificate.exportPrivateKeyPem(),
  };
  const keepAlive = mode !== "newConnection";
  const agent = mode === "secureContext"
    ? new https.Agent({ keepAlive: true, secureContext: tls.createSecureContext(material) })
    : mode === "agentOptions"
    ? new https.Agent({ keepAlive: true, ...material })
    : false;
  const headers = { authorization: `mtls_pop ${token.accessToken}` };
  return {
    name,
    call: () =>
      new Promise<void>((resolve, reject) => {
        const req = https.request(url, { method: "GET", headers, agent, ...(keepAlive ? {} : material) }, (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => (body += chunk));
          res.on("end", () => {
            try {
              expectOk(res.statusCode ?? 0, body, name);
              resolve();
            } catch (error) {
              reject(error);
            }
          });
          res.on("error", reject);
        });
        req.on("error", reject);
        req.end();
      }),
    close: () => {
      if (agent) agent.destroy();
      return Promise.resolve();
    },
  };
}

interface DenoFetchApi {
  createHttpClient(options: { caCerts?: string[]; cert?: string; key?: string }): { close(): void };
}

/**
 * Deno's own way: `fetch` with a `Deno.createHttpClient` holding the
 * certificate (its `caCerts` add to the system roots, as ours do); a new
 * client per call when naive.
 */
function denoFetchClient(
  name: string,
  token: AuthenticationResult,
  emu: Emulator,
  url: string,
  keepAlive: boolean,
): Client {
  const deno = (globalThis as unknown as { Deno: DenoFetchApi }).Deno;
  const options = {
    caCerts: [emu.caCertificatePem],
    cert: token.bindingCertificate.chainPem,
    key: token.bindingCertificate.exportPrivateKeyPem(),
  };
  const shared = keepAlive ? deno.createHttpClient(options) : undefined;
  const headers = { authorization: `mtls_pop ${token.accessToken}` };
  return {
    name,
    call: async () => {
      const client = shared ?? deno.createHttpClient(options);
      try {
        const res = await fetch(url, { headers, client } as RequestInit);
        expectOk(res.status, await res.text(), name);
      } finally {
        if (!shared) client.close();
      }
    },
    close: () => {
      shared?.close();
      return Promise.resolve();
    },
  };
}

/** Bun's own way: `fetch` with its `tls` option (one object, reused); `keepalive: false` when naive. */
function bunFetchClient(
  name: string,
  token: AuthenticationResult,
  emu: Emulator,
  url: string,
  keepAlive: boolean,
  trust: Trust,
): Client {
  const tls = {
    ca: rootsFor(trust, emu),
    cert: token.bindingCertificate.chainPem,
    key: token.bindingCertificate.exportPrivateKeyPem(),
  };
  const headers = { authorization: `mtls_pop ${token.accessToken}` };
  return {
    name,
    call: async () => {
      const res = await fetch(url, { headers, tls, keepalive: keepAlive } as RequestInit);
      expectOk(res.status, await res.text(), name);
    },
    close: () => Promise.resolve(),
  };
}

/**
 * Runs `calls` sequential calls per client after a warm-up, in `rounds`
 * rounds. Every round runs each client once, in an order that rotates from
 * round to round: on this machine the client that runs first or last in a
 * sequence is measurably faster or slower (JIT, GC left by the previous
 * client), and rotating spreads that over all. The throughput reported is
 * the median over rounds, so a round hit by a stray pause does not decide it.
 */
async function race(
  emu: Emulator,
  clients: Client[],
  calls: number,
  rounds: number,
  warmup: number,
): Promise<ClientFigures[]> {
  const perRound = Math.max(1, Math.round(calls / rounds));
  const stats = clients.map(() => ({ ms: 0, rates: [] as number[], connections: new Set<number>() }));
  for (let i = 0; i < warmup; i += 10) for (const client of clients) for (let j = 0; j < 10; j++) await client.call();
  emu.requests.length = 0;
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < clients.length; k++) {
      const index = (round + k) % clients.length;
      const client = clients[index]!;
      const from = emu.requests.length;
      const started = nowMs();
      for (let i = 0; i < perRound; i++) await client.call();
      const elapsed = nowMs() - started;
      const stat = stats[index]!;
      stat.ms += elapsed;
      stat.rates.push(perRound / (elapsed / 1000));
      for (const record of emu.requests.slice(from)) {
        if (record.endpoint === "resource") stat.connections.add(record.connectionId);
      }
    }
    // The emulator records every request; dropping the record between rounds keeps it small.
    emu.requests.length = 0;
  }
  return clients.map((client, index) => ({
    name: client.name,
    calls: perRound * rounds,
    totalMs: stats[index]!.ms,
    callsPerSecond: median(stats[index]!.rates),
    connections: stats[index]!.connections.size,
  }));
}

/** Measures item 4 against a running emulator on the current runtime. */
export async function measureResourceCalls(
  emu: Emulator,
  options: ResourceCallsOptions = {},
): Promise<ResourceCallsResult> {
  const calls = options.calls ?? 2000;
  const naiveCalls = options.naiveCalls ?? calls;
  const rounds = options.rounds ?? 20;
  const app = new ManagedIdentityApplication({ imdsEndpoint: emu.imdsEndpoint, caCertificates: emu.caCertificatePem });
  const url = `${emu.resourceUrl}bench`;
  const token = await app.acquireToken({ resource: new URL(emu.resourceUrl).origin });
  const runtime = detectRuntime();
  const ours = oursClient(token, emu, url);
  const transportOnly = transportClient(token, emu, url);
  let keepAlive: Client;
  let naive: Client;
  const others: Client[] = [];
  // The goal's keep-alive baseline is the leanest plain client with the same
  // TLS material as ours (roots, certificate, key); the naive baseline trusts
  // the emulator's CA alone, its cheapest form.
  if (runtime === "deno") {
    keepAlive = denoFetchClient("fetch + Deno.createHttpClient (keep-alive)", token, emu, url, true);
    naive = denoFetchClient("fetch + a new Deno.createHttpClient per call", token, emu, url, false);
    others.push(
      nodeHttpsClient("node:https + keep-alive Agent, emulator CA only", token, emu, url, "agentOptions", "emulator"),
    );
  } else if (runtime === "bun") {
    keepAlive = bunFetchClient("fetch + tls (keep-alive), system roots + emulator CA", token, emu, url, true, "ours");
    naive = bunFetchClient("fetch + tls, keepalive: false, emulator CA only", token, emu, url, false, "emulator");
    others.push(bunFetchClient("fetch + tls (keep-alive), emulator CA only", token, emu, url, true, "emulator"));
    others.push(
      nodeHttpsClient("node:https + keep-alive Agent, emulator CA only", token, emu, url, "agentOptions", "emulator"),
    );
  } else {
    keepAlive = nodeHttpsClient(
      "node:https + keep-alive Agent with a secureContext (system roots + emulator CA)",
      token,
      emu,
      url,
      "secureContext",
      "ours",
    );
    naive = nodeHttpsClient("node:https, agent: false, emulator CA only", token, emu, url, "newConnection", "emulator");
    others.push(
      nodeHttpsClient(
        "node:https + keep-alive Agent, ca/cert/key options (system roots + emulator CA)",
        token,
        emu,
        url,
        "agentOptions",
        "ours",
      ),
    );
    others.push(
      nodeHttpsClient("node:https + keep-alive Agent, emulator CA only", token, emu, url, "agentOptions", "emulator"),
    );
  }
  try {
    const [oursFigures, transportFigures, keepAliveFigures, ...otherFigures] = await race(
      emu,
      [ours, transportOnly, keepAlive, ...others],
      calls,
      rounds,
      300,
    );
    const [naiveFigures] = await race(emu, [naive], naiveCalls, rounds, 20);
    const nodeTlsCosts = runtime === "node" ? measureNodeTlsCosts(emu, token) : undefined;
    return {
      ours: oursFigures!,
      keepAlive: keepAliveFigures!,
      newConnectionPerCall: naiveFigures!,
      transportOnly: transportFigures!,
      others: otherFigures,
      nodeTlsCosts,
    };
  } finally {
    for (const client of [ours, transportOnly, keepAlive, naive, ...others]) await client.close();
    await app.close();
  }
}
