/** Request and response schemas shared by several routes (they also make the OpenAPI document). */
import { z } from "@hono/zod-openapi";
import { ROLES } from "../identity/memberships.ts";
import {
  fitsBcrypt,
  PASSWORD_MAX,
  PASSWORD_MAX_BYTES,
  PASSWORD_MIN,
  PASSWORD_TOO_LONG,
} from "../identity/passwords.ts";
import type { Org } from "../tenants/orgs.ts";
import { AppError } from "../platform/errors.ts";
import { ProblemSchema } from "./problem.ts";

export const Id = z.string().regex(/^[0-9a-f]{24}$/).openapi({
  example: "6745f1c2a9e4b1d2c3f4a5b6",
});
export const Email = z.string().trim().toLowerCase().max(254).email()
  .openapi({ example: "ada@example.com" });
const PASSWORD_BYTES = `At most ${PASSWORD_MAX_BYTES} bytes in UTF-8 (bcrypt reads no further)`;
export const Password = z.string().min(PASSWORD_MIN).max(PASSWORD_MAX)
  .refine(fitsBcrypt, PASSWORD_TOO_LONG)
  .openapi({
    description: `${PASSWORD_MIN}+ characters. ${PASSWORD_BYTES}`,
    example: "correct horse battery staple",
  });
/** Login takes any string up to the maximum: a short one is simply a wrong password. */
export const AnyPassword = z.string().min(1).max(PASSWORD_MAX).refine(fitsBcrypt, PASSWORD_TOO_LONG)
  .openapi({ description: PASSWORD_BYTES });
export const OrgName = z.string().trim().min(3).max(50).openapi({
  description: "3–50 characters after trimming; its slug (ASCII letters, digits, hyphens) must " +
    "have at least 3 characters",
  example: "Acme Corp",
});
export const Slug = z.string().min(1).max(64).openapi({
  param: { name: "slug", in: "path" },
  example: "acme-corp",
});
export const Role = z.enum(ROLES);

export const OrgSchema = z.object({
  id: Id,
  slug: z.string(),
  name: z.string(),
  status: z.enum(["provisioning", "active", "suspended", "deleting"]),
  createdAt: z.string().openapi({ format: "date-time" }),
  updatedAt: z.string().openapi({ format: "date-time" }),
  databaseName: z.string().optional().openapi({ description: "Members only" }),
  cluster: z.string().optional().openapi({ description: "Members only" }),
  role: Role.optional().openapi({ description: "Members only: the caller's role" }),
  memberCount: z.number().int().optional().openapi({ description: "Members only" }),
}).openapi("Org");

type PublicOrg = Pick<Org, "id" | "slug" | "name" | "status"> & {
  createdAt: string;
  updatedAt: string;
};

/** Views of cached orgs are made once per org object (a hot path: GET /v1/orgs/{slug}, /v1/me). */
const publicViews = new WeakMap<Org, PublicOrg>();

export function publicOrg(org: Org): PublicOrg {
  let view = publicViews.get(org);
  if (!view) {
    view = {
      id: org.id,
      slug: org.slug,
      name: org.name,
      status: org.status,
      createdAt: org.createdAt.toISOString(),
      updatedAt: org.updatedAt.toISOString(),
    };
    publicViews.set(org, view);
  }
  return view;
}

export function memberOrg(org: Org, role: z.infer<typeof Role>, memberCount: number) {
  return {
    ...publicOrg(org),
    databaseName: org.databaseName,
    cluster: org.cluster,
    role,
    memberCount,
  };
}

export const TokenPairSchema = z.object({
  accessToken: z.string(),
  tokenType: z.literal("Bearer"),
  expiresIn: z.number().int().openapi({ description: "Seconds until the access token expires" }),
  refreshToken: z.string(),
  org: z.object({ id: Id, slug: z.string() }),
  role: Role,
}).openapi("TokenPair");

const problemContent = { "application/problem+json": { schema: ProblemSchema } };
const DESCRIPTIONS: Record<number, string> = {
  400: "Invalid input (validation_failed, weak_password, org_required, ...)",
  401: "Missing, invalid or expired credentials",
  403: "Not allowed for this role, or the org is suspended",
  404: "Not found, or in an org the caller does not belong to",
  409: "Conflict",
  412: "Stale If-Match (precondition_failed)",
  413: "Body too large",
  415: "Body is not application/json",
  429: "Rate limited (see Retry-After)",
  503: "Database unavailable (see Retry-After)",
};

/** Problem responses for a route's OpenAPI description. */
export function errors(...statuses: number[]) {
  return Object.fromEntries(
    [...statuses, 503].map((s) => [s, { description: DESCRIPTIONS[s], content: problemContent }]),
  );
}

export const jsonBody = <T extends z.ZodType>(schema: T, description?: string) => ({
  body: { content: { "application/json": { schema } }, required: true, description },
});

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { "application/json": { schema } },
  description,
});

export const bearer = [{ bearerAuth: [] }];

export const PageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20).openapi({
    description: "Page size, 1–100 (default 20)",
  }),
  cursor: z.string().max(200).optional().openapi({
    description: "Opaque: the `nextCursor` of the previous page",
  }),
});

/** Cursors are opaque to clients; inside they are the id of the last item of a page. */
export const encodeCursor = (id: string) => btoa(`v1:${id}`).replace(/=+$/, "");

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  let text = "";
  try {
    text = atob(cursor);
  } catch { /* falls through to the error below */ }
  const m = /^v1:([0-9a-f]{24})$/.exec(text);
  if (!m) {
    throw new AppError(400, "validation_failed", "Invalid cursor", {
      errors: [{ path: "cursor", message: "Not a cursor this API returned" }],
    });
  }
  return m[1];
}

/** A page of `items` fetched with one extra row to know whether there is a next page. */
export function page<T extends { id: string }, U>(rows: T[], limit: number, view: (t: T) => U) {
  const items = rows.slice(0, limit);
  return {
    items: items.map(view),
    nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1].id) : null,
  };
}

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });
