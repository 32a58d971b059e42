/** Sign-in and session routes (docs/architecture.md, "Identity and access"). */
import { createRoute, z } from "@hono/zod-openapi";
import { auth, publicAccess, sessionsOnly } from "../../http/access.ts";
import { noStore } from "../../http/middleware.ts";
import {
  AnyPassword,
  bearer,
  Email,
  errors,
  json,
  jsonBody,
  Password,
  SignInPairSchema,
  TokenPairSchema,
} from "../../http/schemas.ts";

const OrgRef = z.string().min(1).max(64).openapi({ description: "Org slug or id" });

export const login = createRoute({
  method: "post",
  path: "/v1/auth/login",
  operationId: "signIn",
  tags: ["auth"],
  summary: "Sign in with email and password",
  middleware: [publicAccess, sessionsOnly, noStore] as const,
  description: "Same answer for an unknown email and a wrong password (401 " +
    "`invalid_credentials`), at the cost of one hash comparison either way. A user in several " +
    "orgs must name one (`org`, slug or id), else 400 `org_required` with `orgs` listing their " +
    "slugs; naming an org the user is not in is 404 `org_not_found`. An operator who belongs " +
    "to no org gets a token of no org (`org` and `role` null): good for `/v1/admin/*`, " +
    "`/v1/me` and signing out; every org's routes answer it 404. Wrong passwords are " +
    "throttled per email (LOGIN_EMAIL_LIMIT, default 5) and per client address " +
    "(LOGIN_ADDRESS_LIMIT, default 50; IPv6 per /64) within 15 minutes: 429 with Retry-After. " +
    "A refused attempt checks no password and is not counted; a right password undoes its " +
    "count. With REQUIRE_VERIFIED_EMAIL=1, an unverified user's right password answers 403 " +
    "`email_unverified` (and a new verification mail, at most 3 an hour) instead of tokens.",
  request: jsonBody(
    z.strictObject({ email: Email, password: AnyPassword, org: OrgRef.optional() }),
  ),
  responses: {
    200: json(SignInPairSchema, "Signed in"),
    ...errors(400, 401, 403, 404, 413, 415, 429),
  },
});

export const refresh = createRoute({
  method: "post",
  path: "/v1/auth/refresh",
  operationId: "refreshSession",
  tags: ["auth"],
  summary: "Rotate a refresh token",
  middleware: [publicAccess, sessionsOnly, noStore] as const,
  description: "The presented token is spent. Presenting a spent token again revokes the " +
    "whole session (401 `refresh_reused`). A 503 leaves the presented token current: retry it. " +
    "With REQUIRE_VERIFIED_EMAIL=1, an unverified user's session answers 403 " +
    "`email_unverified` (and a new verification mail, at most 3 an hour) and the token stays " +
    "current, for use once the address is verified.",
  request: jsonBody(z.strictObject({ refreshToken: z.string().min(1).max(200) })),
  responses: {
    200: json(SignInPairSchema, "A new token pair"),
    ...errors(400, 401, 403, 413, 415),
  },
});

export const logout = createRoute({
  method: "post",
  path: "/v1/auth/logout",
  operationId: "signOut",
  tags: ["auth"],
  summary: "Revoke the current session",
  security: bearer,
  middleware: [auth, sessionsOnly] as const,
  responses: { 204: { description: "Signed out" }, ...errors(401) },
});

export const switchOrg = createRoute({
  method: "post",
  path: "/v1/auth/switch",
  operationId: "switchOrg",
  tags: ["auth"],
  summary: "Get a token pair for another org of the signed-in user",
  description: "Starts a new session in that org; the current session stays valid. With " +
    "REQUIRE_VERIFIED_EMAIL=1, an unverified user is 403 `email_unverified` (and a new " +
    "verification mail, at most 3 an hour).",
  security: bearer,
  middleware: [auth, sessionsOnly, noStore] as const,
  request: jsonBody(z.strictObject({ org: OrgRef })),
  responses: {
    200: json(TokenPairSchema, "Signed into the other org"),
    ...errors(400, 401, 403, 404, 413, 415),
  },
});

/** A reset or verification token from a mail's link. */
const MailToken = z.string().min(1).max(200).openapi({
  description: "The token of the mail's link",
});

export const AcceptedSchema = z.object({ status: z.literal("accepted") });

export const forgotPassword = createRoute({
  method: "post",
  path: "/v1/auth/password/forgot",
  operationId: "forgotPassword",
  tags: ["auth"],
  summary: "Mail a password reset link",
  middleware: [publicAccess, noStore] as const,
  description: "Always 202 with the same body, whether or not the email has an account (and in " +
    "about the same time). If it has, a mail with a link to " +
    "`<PUBLIC_URL>/console/#/reset?token=...` is sent; at most 3 such mails per email per hour " +
    "(further requests: still 202, no mail). 503 `mail_disabled` when the service sends no mail.",
  request: jsonBody(z.strictObject({ email: Email })),
  responses: { 202: json(AcceptedSchema, "Accepted"), ...errors(400, 413, 415) },
});

export const resetPassword = createRoute({
  method: "post",
  path: "/v1/auth/password/reset",
  operationId: "resetPassword",
  tags: ["auth"],
  summary: "Choose a new password with the token of a reset mail",
  middleware: [publicAccess, noStore] as const,
  description: "Replaces the password (the usual rules: 400 `weak_password`, the token stays " +
    "usable), revokes every session of the user, spends every other reset token and marks the " +
    "email verified. A token works once, for PASSWORD_RESET_TTL_MINUTES (default 60). Unknown, " +
    "spent, expired or altered: 400 `invalid_token`, nothing changed. Counted by the client " +
    "address's throttle (LOGIN_ADDRESS_LIMIT per 15 minutes; 429 with Retry-After).",
  request: jsonBody(z.strictObject({ token: MailToken, newPassword: Password })),
  responses: { 204: { description: "The password is replaced" }, ...errors(400, 413, 415, 429) },
});

export const verifyEmail = createRoute({
  method: "post",
  path: "/v1/auth/email/verify",
  operationId: "verifyEmail",
  tags: ["auth"],
  summary: "Verify an email address with the token of a verification mail",
  middleware: [publicAccess, noStore] as const,
  description: "A token works once, for 24 hours; a newer verification mail replaces it. " +
    "Unknown, spent, expired or altered: 400 `invalid_token`, nothing changed.",
  request: jsonBody(z.strictObject({ token: MailToken })),
  responses: { 204: { description: "The email address is verified" }, ...errors(400, 413, 415) },
});

export type LoginRoute = typeof login;
export type ForgotPasswordRoute = typeof forgotPassword;
export type ResetPasswordRoute = typeof resetPassword;
export type VerifyEmailRoute = typeof verifyEmail;
export type RefreshRoute = typeof refresh;
export type LogoutRoute = typeof logout;
export type SwitchRoute = typeof switchOrg;
