/** The signed-in user's own routes (docs/architecture.md, "Identity and access"). */
import { createRoute, z } from "@hono/zod-openapi";
import { auth, sessionsOnly } from "../../http/access.ts";
import {
  AnyPassword,
  bearer,
  errors,
  Id,
  json,
  jsonBody,
  nullable,
  OrgSchema,
  Password,
  Role,
} from "../../http/schemas.ts";

export const me = createRoute({
  method: "get",
  path: "/v1/me",
  operationId: "getMe",
  tags: ["auth"],
  summary: "The signed-in user, the current org and role, and all their orgs",
  security: bearer,
  middleware: [auth, sessionsOnly] as const,
  responses: {
    200: json(
      z.object({
        user: z.object({
          id: Id,
          email: z.string(),
          emailVerified: z.boolean().openapi({
            description: "Whether a mail proved the address (verification link or password reset)",
          }),
        }),
        org: nullable(OrgSchema).openapi({
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
  operationId: "changePassword",
  tags: ["auth"],
  summary: "Change the password; every other session of the user is revoked",
  description: "`currentPassword` is checked like a sign-in: counted against the email's " +
    "throttle before it is checked (429 with Retry-After past the limit).",
  security: bearer,
  middleware: [auth, sessionsOnly] as const,
  request: jsonBody(z.strictObject({ currentPassword: AnyPassword, newPassword: Password })),
  responses: { 204: { description: "Changed" }, ...errors(400, 401, 413, 415, 429) },
});

export const emailVerification = createRoute({
  method: "post",
  path: "/v1/me/email/verification",
  operationId: "requestEmailVerification",
  tags: ["auth"],
  summary: "Mail a new verification link to the signed-in user's address",
  description: "Earlier verification links stop working. 409 `already_verified`; at most 3 " +
    "such mails per hour (429 with Retry-After); 503 `mail_disabled` when the service sends no " +
    "mail.",
  security: bearer,
  middleware: [auth, sessionsOnly] as const,
  responses: {
    202: json(z.object({ status: z.literal("accepted") }), "A verification mail is on its way"),
    ...errors(401, 409, 429),
  },
});

export type MeRoute = typeof me;
export type EmailVerificationRoute = typeof emailVerification;
export type PasswordRoute = typeof password;
