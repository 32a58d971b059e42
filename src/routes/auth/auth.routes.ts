/** Sign-in and session routes (docs/architecture.md, "Identity and access"). */
import { createRoute, z } from "@hono/zod-openapi";
import { auth, publicAccess } from "../../http/access.ts";
import { noStore } from "../../http/middleware.ts";
import {
  AnyPassword,
  bearer,
  Email,
  errors,
  json,
  jsonBody,
  SignInPairSchema,
  TokenPairSchema,
} from "../../http/schemas.ts";

const OrgRef = z.string().min(1).max(64).openapi({ description: "Org slug or id" });

export const login = createRoute({
  method: "post",
  path: "/v1/auth/login",
  tags: ["auth"],
  summary: "Sign in with email and password",
  middleware: [publicAccess, noStore] as const,
  description: "Same answer for an unknown email and a wrong password (401 " +
    "`invalid_credentials`), at the cost of one hash comparison either way. A user in several " +
    "orgs must name one (`org`, slug or id), else 400 `org_required` with `orgs` listing their " +
    "slugs; naming an org the user is not in is 404 `org_not_found`. An operator who belongs " +
    "to no org gets a token of no org (`org` and `role` null): good for `/v1/admin/*`, " +
    "`/v1/me` and signing out; every org's routes answer it 404. Wrong passwords are " +
    "throttled per email (LOGIN_EMAIL_LIMIT, default 5) and per client address " +
    "(LOGIN_ADDRESS_LIMIT, default 50; IPv6 per /64) within 15 minutes: 429 with Retry-After. " +
    "A refused attempt checks no password and is not counted; a right password undoes its " +
    "count.",
  request: jsonBody(
    z.strictObject({ email: Email, password: AnyPassword, org: OrgRef.optional() }),
  ),
  responses: { 200: json(SignInPairSchema, "Signed in"), ...errors(400, 401, 403, 404, 429) },
});

export const refresh = createRoute({
  method: "post",
  path: "/v1/auth/refresh",
  tags: ["auth"],
  summary: "Rotate a refresh token",
  middleware: [publicAccess, noStore] as const,
  description: "The presented token is spent. Presenting a spent token again revokes the " +
    "whole session (401 `refresh_reused`). A 503 leaves the presented token current: retry it.",
  request: jsonBody(z.strictObject({ refreshToken: z.string().min(1).max(200) })),
  responses: { 200: json(SignInPairSchema, "A new token pair"), ...errors(400, 401, 403) },
});

export const logout = createRoute({
  method: "post",
  path: "/v1/auth/logout",
  tags: ["auth"],
  summary: "Revoke the current session",
  security: bearer,
  middleware: [auth] as const,
  responses: { 204: { description: "Signed out" }, ...errors(401) },
});

export const switchOrg = createRoute({
  method: "post",
  path: "/v1/auth/switch",
  tags: ["auth"],
  summary: "Get a token pair for another org of the signed-in user",
  description: "Starts a new session in that org; the current session stays valid.",
  security: bearer,
  middleware: [auth, noStore] as const,
  request: jsonBody(z.strictObject({ org: OrgRef })),
  responses: {
    200: json(TokenPairSchema, "Signed into the other org"),
    ...errors(400, 401, 403, 404),
  },
});

export type LoginRoute = typeof login;
export type RefreshRoute = typeof refresh;
export type LogoutRoute = typeof logout;
export type SwitchRoute = typeof switchOrg;
