/**
 * A real webhook receiver for tests and the benchmark: an HTTP server on a loopback port that
 * verifies EVERY request with the `standardwebhooks` package (the secret of the path's endpoint)
 * and records it. What it answers is chosen per path (`answer`), 204 by default.
 */
import { Webhook } from "standardwebhooks";
import { freePort } from "../../src/platform/embedded/ferretdb.ts";

export interface Received {
  path: string;
  /** `webhook-id`, `webhook-timestamp`, `webhook-signature`. */
  id: string;
  timestamp: number;
  signature: string;
  /** The signature checked out with the endpoint's secret (standardwebhooks' `verify`). */
  verified: boolean;
  verifyError?: string;
  body: { type: string; timestamp: string; data: Record<string, unknown> & { org: unknown } };
  status: number;
  at: number;
}

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** The secret deliveries to `path` must be signed with (set once the endpoint exists). */
  secrets: Map<string, string>;
  /** What `path` answers to its n-th request (n from 1); 204 by default. */
  answer: (path: string, n: number) => number;
  /** Deliveries to `path`. */
  to(path: string): Received[];
  waitFor(count: number, opts?: { path?: string; timeoutMs?: number }): Promise<Received[]>;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export function startReceiver(): Receiver {
  const port = freePort();
  const received: Received[] = [];
  const counts = new Map<string, number>();
  const server = Deno.serve({ port, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    const path = new URL(req.url).pathname;
    const text = await req.text();
    const headers = Object.fromEntries(req.headers);
    const secret = receiver.secrets.get(path);
    let verified = false;
    let verifyError: string | undefined;
    try {
      if (!secret) throw new Error(`no secret for ${path}`);
      new Webhook(secret).verify(text, headers);
      verified = true;
    } catch (e) {
      verifyError = e instanceof Error ? e.message : String(e);
    }
    const n = (counts.get(path) ?? 0) + 1;
    counts.set(path, n);
    const status = receiver.answer(path, n);
    let body: Received["body"];
    try {
      body = JSON.parse(text);
    } catch {
      body = { type: "(not JSON)", timestamp: "", data: { org: null, text } };
    }
    received.push({
      path,
      id: headers["webhook-id"] ?? "",
      timestamp: Number(headers["webhook-timestamp"]),
      signature: headers["webhook-signature"] ?? "",
      verified,
      verifyError,
      body,
      status,
      at: performance.now(),
    });
    return new Response(null, { status });
  });
  const receiver: Receiver = {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    secrets: new Map(),
    answer: () => 204,
    to: (path) => received.filter((r) => r.path === path),
    async waitFor(count, opts = {}) {
      const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
      const pick = () => opts.path ? received.filter((r) => r.path === opts.path) : received;
      while (pick().length < count) {
        if (Date.now() > deadline) {
          throw new Error(
            `receiver: ${pick().length} of ${count} deliveries${
              opts.path ? ` to ${opts.path}` : ""
            } arrived`,
          );
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      return pick();
    },
    stop: () => server.shutdown(),
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
  return receiver;
}
