/** Platform routes: liveness, readiness and the API documentation. */
import { createRoute, z } from "@hono/zod-openapi";
import { publicAccess } from "../../http/access.ts";
import { errors, json } from "../../http/schemas.ts";

export const health = createRoute({
  method: "get",
  path: "/health",
  operationId: "getHealth",
  summary: "Liveness: 200 while the process runs (never touches the database)",
  tags: ["platform"],
  middleware: [publicAccess] as const,
  responses: { 200: json(z.object({ status: z.literal("ok") }), "The process is running") },
});

export const ready = createRoute({
  method: "get",
  path: "/ready",
  operationId: "getReadiness",
  summary: "Readiness: 200 when every configured MongoDB cluster answers ping, else 503",
  tags: ["platform"],
  middleware: [publicAccess] as const,
  responses: {
    200: json(z.object({ status: z.literal("ready") }), "Every cluster answers"),
    ...errors(),
  },
});

export type HealthRoute = typeof health;
export type ReadyRoute = typeof ready;
