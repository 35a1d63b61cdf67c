// The plainest possible HTTP(S) exchange with node:http / node:https, for the
// floor measurements: no retries, no parsing beyond reading the body.
import * as http from "node:http";
import * as https from "node:https";

/** A request for {@link exchange}. */
export interface WireRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** `false`: a new connection for this request; an agent: its pool. */
  agent: http.Agent | false;
  /** TLS options when `agent` is `false` (roots, client certificate and key). */
  tls?: { ca?: string | string[]; cert?: string; key?: string };
}

/** Status and body text. */
export interface WireResponse {
  status: number;
  body: string;
}

/** One request; resolves once the whole body is in. */
export function exchange(url: string, request: WireRequest): Promise<WireResponse> {
  const secure = url.startsWith("https:");
  const options: https.RequestOptions = {
    method: request.method ?? "GET",
    headers: request.headers,
    agent: request.agent,
    ...(secure && request.agent === false ? request.tls : {}),
  };
  return new Promise<WireResponse>((resolve, reject) => {
    const req = (secure ? https : http).request(url, options, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(request.body);
  });
}

/** {@link exchange}, failing unless the answer is 200; returns the body parsed as JSON. */
export async function exchangeJson(url: string, request: WireRequest): Promise<Record<string, unknown>> {
  const res = await exchange(url, request);
  if (res.status !== 200) {
    throw new Error(`${request.method ?? "GET"} ${url}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
  }
  return JSON.parse(res.body) as Record<string, unknown>;
}
