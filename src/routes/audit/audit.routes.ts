/** An org's audit log (docs/api.md, "Routes"). */
import { createRoute, z } from "@hono/zod-openapi";
import { AUDIT_EVENTS } from "../../audit/audit.ts";
import { auth, orgScope, role, scope } from "../../http/access.ts";
import {
  bearer,
  DateTime,
  errors,
  Id,
  json,
  pageOf,
  PageQuery,
  SlugParams,
} from "../../http/schemas.ts";

const AuditEventSchema = z.object({
  id: Id,
  type: z.enum(AUDIT_EVENTS),
  at: DateTime,
  actor: z.union([
    z.object({ userId: z.string().nullable(), email: z.string().nullable() }).openapi({
      description: "A person (both null when nobody was signed in)",
    }),
    z.object({ type: z.literal("api_key"), id: Id, name: z.string() }).openapi({
      description: "An org's API key",
    }),
  ]),
  target: z.record(z.string(), z.string()).nullable(),
  requestId: z.string().nullable(),
  ip: z.string(),
}).openapi("AuditEvent");

export const list = createRoute({
  method: "get",
  path: "/v1/orgs/{slug}/audit",
  operationId: "listAuditEvents",
  tags: ["audit"],
  summary: "The org's audit log, newest first (owner or admin)",
  security: bearer,
  middleware: [auth, orgScope, scope("audit:read"), role("owner", "admin")] as const,
  request: { params: SlugParams, query: PageQuery },
  responses: {
    200: json(pageOf(AuditEventSchema), "A page of events"),
    ...errors(400, 401, 403, 404),
  },
});

export type ListRoute = typeof list;
