/** The signed-in user's own routes (docs/architecture.md, "Identity and access"). */
import { createRoute, z } from "@hono/zod-openapi";
import { auth } from "../../http/access.ts";
import {
  AnyPassword,
  bearer,
  errors,
  Id,
  json,
  jsonBody,
  OrgSchema,
  Password,
  Role,
} from "../../http/schemas.ts";

export const me = createRoute({
  method: "get",
  path: "/v1/me",
  tags: ["auth"],
  summary: "The signed-in user, the current org and role, and all their orgs",
  security: bearer,
  middleware: [auth] as const,
  responses: {
    200: json(
      z.object({
        user: z.object({ id: Id, email: z.string() }),
        org: OrgSchema.nullable().openapi({
          description: "The token's org; null for an operator signed in outside any org",
        }),
        role: Role.nullable(),
        orgs: z.array(z.object({ id: Id, slug: z.string(), name: z.string(), role: Role })),
      }),
      "The signed-in user",
    ),
    ...errors(401, 403),
  },
});

export const password = createRoute({
  method: "post",
  path: "/v1/me/password",
  tags: ["auth"],
  summary: "Change the password; every other session of the user is revoked",
  description: "`currentPassword` is checked like a sign-in: counted against the email's " +
    "throttle before it is checked (429 with Retry-After past the limit).",
  security: bearer,
  middleware: [auth] as const,
  request: jsonBody(z.strictObject({ currentPassword: AnyPassword, newPassword: Password })),
  responses: { 204: { description: "Changed" }, ...errors(400, 401, 429) },
});

export type MeRoute = typeof me;
export type PasswordRoute = typeof password;
