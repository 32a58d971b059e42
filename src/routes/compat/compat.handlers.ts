import { createOrgAs, deleteNamedOrg, orgByName, renameNamedOrg } from "../../access/org-flows.ts";
import { login as signIn } from "../../access/sign-in.ts";
import { AppError, emailTakenLegacy, orgExistsLegacy } from "../../platform/errors.ts";
import type { Org } from "../../tenants/orgs.ts";
import { actorOf, callerOf, requestOf } from "../../http/context.ts";
import type { AppRouteHandler } from "../../http/router.ts";
import type {
  CreateRoute,
  GetRoute,
  LoginRoute,
  RemoveRoute,
  UpdateRoute,
} from "./compat.routes.ts";

const compatOrg = (org: Org) => ({
  id: org.id,
  organization_name: org.name,
  database_name: org.databaseName,
  admin_id: org.ownerId,
});

/** The original answered 400, not 409, for a name (or an admin email) that exists. */
function asBadRequest(e: unknown): never {
  if (e instanceof AppError && e.code === "org_exists") throw orgExistsLegacy();
  if (e instanceof AppError && e.code === "email_taken") throw emailTakenLegacy(e.message);
  throw e;
}

export const create: AppRouteHandler<CreateRoute> = async (c) => {
  const b = c.req.valid("json");
  const input = { name: b.organization_name, admin: { email: b.email, password: b.password } };
  const { org } = await createOrgAs(c.get("deps"), callerOf(c), input)
    .catch(asBadRequest);
  return c.json(
    { message: "Organization created successfully", organization: compatOrg(org) },
    201,
  );
};

export const get: AppRouteHandler<GetRoute> = async (c) => {
  const org = await orgByName(c.get("deps"), { name: c.req.valid("query").organization_name });
  return c.json(compatOrg(org), 200);
};

export const update: AppRouteHandler<UpdateRoute> = async (c) => {
  const b = c.req.valid("json");
  const input = { name: b.organization_name, newName: b.new_organization_name };
  const renamed = await renameNamedOrg(c.get("deps"), actorOf(c), input).catch(asBadRequest);
  return c.json({
    message: "Organization updated successfully",
    organization_name: renamed.name,
    database_name: renamed.databaseName,
  }, 200);
};

export const remove: AppRouteHandler<RemoveRoute> = async (c) => {
  await deleteNamedOrg(c.get("deps"), actorOf(c), { name: c.req.valid("json").organization_name });
  return c.json({ message: "Organization deleted successfully" }, 200);
};

export const login: AppRouteHandler<LoginRoute> = async (c) => {
  const pair = await signIn(c.get("deps"), { request: requestOf(c) }, c.req.valid("json"), {
    pickOldest: true,
  });
  return c.json({ access_token: pair.accessToken, token_type: "bearer" as const }, 200);
};
