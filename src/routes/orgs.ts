/** Organization lifecycle routes (API.md, "Organizations"). */
import { createRoute, z } from "@hono/zod-openapi";
import type { Deps } from "../platform/deps.ts";
import { AppError } from "../platform/errors.ts";
import { authenticate, requireAuth, requireRole } from "../http/authenticate.ts";
import { requestContext } from "../http/context.ts";
import { createRouter } from "../http/router.ts";
import {
  bearer,
  Email,
  errors,
  Id,
  json,
  jsonBody,
  memberOrg,
  OrgName,
  OrgSchema,
  Password,
  publicOrg,
  Slug,
} from "../http/schemas.ts";
import { countMembers } from "../identity/memberships.ts";
import type { Principal } from "../access/principal.ts";
import {
  createOrg,
  type CreateOrgInput,
  deleteOrg,
  renameOrg,
  visibleOrg,
} from "../tenants/lifecycle.ts";
import type { Org } from "../tenants/orgs.ts";

const SlugParams = z.object({ slug: Slug });

const create = createRoute({
  method: "post",
  path: "/v1/orgs",
  tags: ["orgs"],
  summary: "Create an organization, its database and its owner",
  description: "Signed in (a bearer token): the signed-in user owns the new org and the body " +
    "is `{ name }` alone (`admin` is 400); this is how an existing user adds an org. Not " +
    "signed in: `admin` creates a new user; an email that already belongs to a user is 409 " +
    "`email_taken` (sign in, then create the org), and no existing user's password is ever " +
    "checked here. Unauthenticated creation is limited per client address (ORG_CREATE_LIMIT " +
    "per hour, 429 with Retry-After); a full password-hashing queue is 503 `overloaded`. Two " +
    "names that give the same slug conflict (409 `org_exists`). With ORG_CREATION=operators, 403.",
  security: [{}, ...bearer],
  request: jsonBody(z.strictObject({
    name: OrgName,
    admin: z.strictObject({ email: Email, password: Password }).optional().openapi({
      description: "The new owner; required without a bearer token, refused with one",
    }),
  })),
  responses: {
    201: json(
      z.object({ org: OrgSchema, admin: z.object({ id: Id, email: z.string() }) }),
      "Created; the org's database exists with its collections and indexes",
    ),
    ...errors(400, 401, 403, 409, 413, 415, 429),
  },
});

const get = createRoute({
  method: "get",
  path: "/v1/orgs/{slug}",
  tags: ["orgs"],
  summary: "Get an organization (public fields; members of it also see theirs)",
  description: "Anyone may call it. With a valid token for this org, the member fields are " +
    "included. An invalid token is 401, not silently ignored.",
  request: { params: SlugParams },
  responses: { 200: json(OrgSchema, "The organization"), ...errors(400, 401, 404) },
});

const patch = createRoute({
  method: "patch",
  path: "/v1/orgs/{slug}",
  tags: ["orgs"],
  summary: "Rename an organization (owner or admin)",
  description: "Name and slug change together; the old slug is 404 afterwards. The org's " +
    "database is named by its immutable id, so no data moves.",
  security: bearer,
  request: { params: SlugParams, ...jsonBody(z.strictObject({ name: OrgName })) },
  responses: {
    200: json(OrgSchema, "The renamed organization"),
    ...errors(400, 401, 403, 404, 409),
  },
});

const remove = createRoute({
  method: "delete",
  path: "/v1/orgs/{slug}",
  tags: ["orgs"],
  summary: "Delete an organization (owner)",
  description: "Drops its database and removes its memberships, invitations and sessions; " +
    "every token scoped to it stops working at once.",
  security: bearer,
  request: { params: SlugParams },
  responses: { 204: { description: "Deleted" }, ...errors(400, 401, 403, 404) },
});

/** The caller's own org by slug; another org's slug is 404, as if it did not exist. */
export async function orgOfPrincipal(deps: Deps, slug: string, p: Principal): Promise<Org> {
  const org = p.orgSlug === slug ? await visibleOrg(deps, { id: p.orgId }) : null;
  if (!org || org.slug !== slug) throw new AppError(404, "org_not_found", "Organization not found");
  return org;
}

/** Signed in: the caller owns the org and names no admin; else `admin` is the new owner. */
function ownerOf(
  name: string,
  admin: { email: string; password: string } | undefined,
  principal: Principal | null,
): CreateOrgInput {
  const invalid = (message: string) =>
    new AppError(400, "validation_failed", message, { errors: [{ path: "admin", message }] });
  if (principal) {
    if (admin) throw invalid("Signed in, you own the new organization: send { name } alone");
    return { name, ownerId: principal.userId };
  }
  if (!admin) throw invalid("Required without a bearer token (the new owner)");
  return { name, admin };
}

export function orgRoutes(deps: Deps) {
  const auth = requireAuth(deps);
  const ctx = (c: Parameters<typeof requestContext>[0]) =>
    requestContext(c, deps.config.trustedProxies);
  const router = createRouter();
  router.use("/v1/orgs/:slug", async (c, next) => {
    // PATCH and DELETE need a token; GET answers anyone (and checks a token itself if sent).
    if (c.req.method === "GET") return await next();
    return await auth(c, next);
  });
  return router
    .openapi(create, async (c) => {
      const { name, admin } = c.req.valid("json");
      const header = c.req.header("Authorization");
      const principal = header ? await authenticate(deps, header) : null;
      const { org, admin: owner } = await createOrg(
        deps,
        ownerOf(name, admin, principal),
        ctx(c),
      );
      return c.json({ org: memberOrg(org, "owner", 1), admin: owner }, 201);
    })
    .openapi(get, async (c) => {
      const { slug } = c.req.valid("param");
      const header = c.req.header("Authorization");
      const principal = header ? await authenticate(deps, header) : null;
      const org = await visibleOrg(deps, { slug });
      if (principal?.orgId === org.id) {
        const count = await countMembers(deps.db.master, org.id);
        return c.json(memberOrg(org, principal.role, count), 200);
      }
      return c.json(publicOrg(org), 200);
    })
    .openapi(patch, async (c) => {
      const p = c.get("principal");
      const org = await orgOfPrincipal(deps, c.req.valid("param").slug, p);
      requireRole(p, ["owner", "admin"]);
      const renamed = await renameOrg(deps, org, c.req.valid("json").name, ctx(c));
      return c.json(memberOrg(renamed, p.role, await countMembers(deps.db.master, org.id)), 200);
    })
    .openapi(remove, async (c) => {
      const p = c.get("principal");
      const org = await orgOfPrincipal(deps, c.req.valid("param").slug, p);
      requireRole(p, ["owner"]);
      await deleteOrg(deps, org);
      return c.body(null, 204);
    });
}
