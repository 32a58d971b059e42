/**
 * The original service's contract (API.md, "Compatibility routes"): thin adapters over the same
 * domain functions, deprecated in the OpenAPI document. `organization_name` is matched through
 * its slug, so "Acme Corp", "acme corp" and "acme-corp" name the same org.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Deps } from "../platform/deps.ts";
import { AppError } from "../platform/errors.ts";
import { authenticate } from "../http/authenticate.ts";
import { requestContext } from "../http/context.ts";
import { createRouter } from "../http/router.ts";
import { AnyPassword, Email, errors, json, jsonBody, Password } from "../http/schemas.ts";
import { login } from "../access/sign-in.ts";
import { createOrg, deleteOrg, renameOrg } from "../tenants/lifecycle.ts";
import { slugify } from "../tenants/names.ts";
import { findOrgBySlug, type Org } from "../tenants/orgs.ts";

const Name = z.string().min(1).max(200);

const CompatOrg = z.object({
  id: z.string(),
  organization_name: z.string(),
  database_name: z.string(),
  admin_id: z.string(),
});

const compatOrg = (org: Org) => ({
  id: org.id,
  organization_name: org.name,
  database_name: org.databaseName,
  admin_id: org.ownerId,
});

const DEPRECATED = { deprecated: true, tags: ["compatibility"] };

const createCompat = createRoute({
  ...DEPRECATED,
  method: "post",
  path: "/org/create",
  summary: "Create an organization (original contract; use POST /v1/orgs)",
  description: "400 with code `org_exists` when the name exists, and with code `email_taken` " +
    "when the email belongs to a user (who signs in and uses POST /v1/orgs); no existing " +
    "user's password is checked. Limited per client address like POST /v1/orgs (429); 403 " +
    "with ORG_CREATION=operators.",
  request: jsonBody(z.strictObject({ organization_name: Name, email: Email, password: Password })),
  responses: {
    201: json(z.object({ message: z.string(), organization: CompatOrg }), "Created"),
    ...errors(400, 403, 429),
  },
});

const getCompat = createRoute({
  ...DEPRECATED,
  method: "get",
  path: "/org/get",
  summary: "Get an organization by name (original contract; use GET /v1/orgs/{slug})",
  request: { query: z.strictObject({ organization_name: Name }) },
  responses: { 200: json(CompatOrg, "The organization"), ...errors(400, 404) },
});

const updateCompat = createRoute({
  ...DEPRECATED,
  method: "put",
  path: "/org/update",
  summary: "Rename an organization (original contract; use PATCH /v1/orgs/{slug})",
  description: "403 for another org's name; 400 with code `org_exists` when the new name exists.",
  security: [{ bearerAuth: [] }],
  request: jsonBody(z.strictObject({ organization_name: Name, new_organization_name: Name })),
  responses: {
    200: json(
      z.object({ message: z.string(), organization_name: z.string(), database_name: z.string() }),
      "Renamed",
    ),
    ...errors(400, 401, 403, 404),
  },
});

const deleteCompat = createRoute({
  ...DEPRECATED,
  method: "delete",
  path: "/org/delete",
  summary: "Delete an organization (original contract; use DELETE /v1/orgs/{slug})",
  security: [{ bearerAuth: [] }],
  request: jsonBody(z.strictObject({ organization_name: Name })),
  responses: {
    200: json(z.object({ message: z.string() }), "Deleted"),
    ...errors(400, 401, 403, 404),
  },
});

const loginCompat = createRoute({
  ...DEPRECATED,
  method: "post",
  path: "/admin/login",
  summary: "Sign in (original contract; use POST /v1/auth/login)",
  description: "A user in several orgs is signed into the one they joined first.",
  request: jsonBody(z.strictObject({ email: Email, password: AnyPassword })),
  responses: {
    200: json(z.object({ access_token: z.string(), token_type: z.literal("bearer") }), "Signed in"),
    ...errors(400, 401, 403, 429),
  },
});

/** The original answered 400, not 409, for a name (or an admin email) that exists. */
function asBadRequest(e: unknown): never {
  if (e instanceof AppError && e.code === "org_exists") {
    throw new AppError(400, "org_exists", "Organization already exists");
  }
  if (e instanceof AppError && e.code === "email_taken") {
    throw new AppError(400, "email_taken", e.message);
  }
  throw e;
}

async function orgByName(deps: Deps, name: string): Promise<Org> {
  const org = await findOrgBySlug(deps.db.master, slugify(name));
  if (!org || org.status === "provisioning" || org.status === "deleting") {
    throw new AppError(404, "org_not_found", "Organization not found");
  }
  return org;
}

/** The caller must be an owner or admin of the named org; another org is 403 here. */
async function ownOrg(deps: Deps, header: string | undefined, name: string, owner = false) {
  const p = await authenticate(deps, header);
  const org = await orgByName(deps, name);
  if (org.id !== p.orgId) throw new AppError(403, "forbidden", "Not an admin of this organization");
  if (!(owner ? ["owner"] : ["owner", "admin"]).includes(p.role)) {
    throw new AppError(403, "forbidden", "Not allowed for your role");
  }
  return { org, actor: { userId: p.userId } };
}

export function compatRoutes(deps: Deps) {
  const ctx = (c: Parameters<typeof requestContext>[0]) =>
    requestContext(c, deps.config.trustedProxies);
  return createRouter()
    .openapi(createCompat, async (c) => {
      const b = c.req.valid("json");
      const { org } = await createOrg(deps, {
        name: b.organization_name,
        admin: { email: b.email, password: b.password },
      }, ctx(c)).catch(asBadRequest);
      return c.json(
        { message: "Organization created successfully", organization: compatOrg(org) },
        201,
      );
    })
    .openapi(getCompat, async (c) => {
      return c.json(compatOrg(await orgByName(deps, c.req.valid("query").organization_name)), 200);
    })
    .openapi(updateCompat, async (c) => {
      const b = c.req.valid("json");
      const { org, actor } = await ownOrg(deps, c.req.header("Authorization"), b.organization_name);
      const renamed = await renameOrg(deps, org, b.new_organization_name, { ...ctx(c), actor })
        .catch(
          asBadRequest,
        );
      return c.json({
        message: "Organization updated successfully",
        organization_name: renamed.name,
        database_name: renamed.databaseName,
      }, 200);
    })
    .openapi(deleteCompat, async (c) => {
      const b = c.req.valid("json");
      const { org } = await ownOrg(deps, c.req.header("Authorization"), b.organization_name, true);
      await deleteOrg(deps, org);
      return c.json({ message: "Organization deleted successfully" }, 200);
    })
    .openapi(loginCompat, async (c) => {
      const pair = await login(deps, c.req.valid("json"), ctx(c), { pickOldest: true });
      return c.json({ access_token: pair.accessToken, token_type: "bearer" as const }, 200);
    });
}
