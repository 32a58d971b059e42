/**
 * The floor of a small GET: a bare `Deno.serve` answering every request with the exact status,
 * headers and body the service gave (BENCH_REPLAY, JSON), with a fresh X-Request-Id as the
 * service makes. What separates the service from this is its own work; what separates this
 * from the hello-world is the size of the answer (Deno writes a response of more than about
 * 512 bytes, head and body, in two sendto calls instead of one).
 */
const { status, headers, body } = JSON.parse(Deno.env.get("BENCH_REPLAY") ?? "{}") as {
  status: number;
  headers: Record<string, string>;
  body: string;
};
const requestId = Object.keys(headers).find((h) => h.toLowerCase() === "x-request-id");

Deno.serve(
  { port: Number(Deno.env.get("PORT") ?? 8000), hostname: "127.0.0.1", onListen: () => {} },
  () =>
    new Response(body, {
      status,
      headers: requestId ? { ...headers, [requestId]: crypto.randomUUID() } : headers,
    }),
);
