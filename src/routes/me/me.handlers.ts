import { changePassword, me as myAccount } from "../../access/account.ts";
import { requestVerification } from "../../access/verification.ts";
import { actorOf } from "../../http/context.ts";
import type { AppRouteHandler } from "../../http/router.ts";
import { publicOrg } from "../../http/schemas.ts";
import type { EmailVerificationRoute, MeRoute, PasswordRoute } from "./me.routes.ts";

export const me: AppRouteHandler<MeRoute> = async (c) => {
  const view = await myAccount(c.get("deps"), { actor: c.get("principal") });
  return c.json({ ...view, org: view.org && publicOrg(view.org) }, 200);
};

export const password: AppRouteHandler<PasswordRoute> = async (c) => {
  await changePassword(c.get("deps"), actorOf(c), c.req.valid("json"));
  return c.body(null, 204);
};

export const emailVerification: AppRouteHandler<EmailVerificationRoute> = async (c) => {
  await requestVerification(c.get("deps"), actorOf(c));
  return c.json({ status: "accepted" as const }, 202);
};
