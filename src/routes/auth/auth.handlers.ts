import {
  logout as logoutSession,
  refresh as refreshSession,
  switchOrg as switchSession,
} from "../../access/session-tokens.ts";
import { login as signIn } from "../../access/sign-in.ts";
import { forgotPassword as forgot, resetPassword as reset } from "../../access/password-reset.ts";
import { verifyEmail as verify } from "../../access/verification.ts";
import { actorOf, requestOf } from "../../http/context.ts";
import type { AppRouteHandler } from "../../http/router.ts";
import type {
  ForgotPasswordRoute,
  LoginRoute,
  LogoutRoute,
  RefreshRoute,
  ResetPasswordRoute,
  SwitchRoute,
  VerifyEmailRoute,
} from "./auth.routes.ts";

export const login: AppRouteHandler<LoginRoute> = async (c) => {
  return c.json(await signIn(c.get("deps"), { request: requestOf(c) }, c.req.valid("json")), 200);
};

export const refresh: AppRouteHandler<RefreshRoute> = async (c) => {
  const pair = await refreshSession(c.get("deps"), { request: requestOf(c) }, c.req.valid("json"));
  return c.json(pair, 200);
};

export const logout: AppRouteHandler<LogoutRoute> = async (c) => {
  await logoutSession(c.get("deps"), actorOf(c));
  return c.body(null, 204);
};

export const switchOrg: AppRouteHandler<SwitchRoute> = async (c) => {
  return c.json(await switchSession(c.get("deps"), actorOf(c), c.req.valid("json")), 200);
};

export const forgotPassword: AppRouteHandler<ForgotPasswordRoute> = async (c) => {
  await forgot(c.get("deps"), c.req.valid("json"));
  return c.json({ status: "accepted" as const }, 202);
};

export const resetPassword: AppRouteHandler<ResetPasswordRoute> = async (c) => {
  await reset(c.get("deps"), { request: requestOf(c) }, c.req.valid("json"));
  return c.body(null, 204);
};

export const verifyEmail: AppRouteHandler<VerifyEmailRoute> = async (c) => {
  await verify(c.get("deps"), { request: requestOf(c) }, c.req.valid("json"));
  return c.body(null, 204);
};
