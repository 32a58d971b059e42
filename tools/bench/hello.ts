/** The ceiling: a bare Hono hello-world on Deno.serve, run by the bench as its own process. */
import { Hono } from "hono";

const app = new Hono().get("/", (c) => c.text("Hello, world!"));

Deno.serve({
  port: Number(Deno.env.get("PORT") ?? 8000),
  hostname: "127.0.0.1",
  onListen: () => {},
}, app.fetch);
