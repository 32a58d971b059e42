/**
 * The transport of webhook deliveries: one `POST` that connects only to addresses checked
 * beforehand. node:http(s) takes a `lookup` function for the connection's name resolution; ours
 * answers with the addresses `checkedAddresses` returned, so the socket goes to exactly an
 * address that passed the address rule — a DNS answer that changes between the check and the
 * connection (DNS rebinding) is never used. TLS still verifies the certificate against the URL's
 * host name (SNI and the name check use the name, not the address). Redirects are not followed
 * (node does not follow them): a 3xx is just a status. From the connection to the answer's
 * status line is bounded by `timeoutMs`; the answer's body is not read.
 */
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import type { ResolvedAddress } from "./public-address.ts";

export interface PostResult {
  status: number;
}

export function postPinned(
  url: URL,
  headers: Record<string, string>,
  body: string,
  opts: { addresses: ResolvedAddress[]; timeoutMs: number },
): Promise<PostResult> {
  const lookup: LookupFunction = (_host, options, callback) => {
    const cb = callback as unknown as (
      err: Error | null,
      address: string | { address: string; family: number }[],
      family?: number,
    ) => void;
    if ((options as { all?: boolean }).all) cb(null, opts.addresses);
    else cb(null, opts.addresses[0].address, opts.addresses[0].family);
  };
  const transport = url.protocol === "https:" ? https : http;
  const bytes = new TextEncoder().encode(body);
  return new Promise<PostResult>((resolve, reject) => {
    const req = transport.request({
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"),
      port: url.port || (url.protocol === "https:" ? 443 : 80),
      path: url.pathname + url.search,
      method: "POST",
      headers: {
        ...headers,
        "content-type": "application/json",
        "content-length": String(bytes.byteLength),
        "user-agent": "orgservice-webhooks/1",
      },
      lookup,
      agent: false,
    }, (res) => {
      // The status is the answer; the body is not read (the connection is closed at once).
      clearTimeout(timer);
      resolve({ status: res.statusCode ?? 0 });
      res.on("error", () => {});
      res.destroy();
    });
    const timer = setTimeout(
      () => req.destroy(new Error(`No answer within ${opts.timeoutMs} ms`)),
      opts.timeoutMs,
    );
    req.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.end(bytes);
  });
}
