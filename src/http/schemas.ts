/** Request and response schemas shared by several routes (they also make the OpenAPI document). */
import { ID_PATTERN } from "../platform/ids.ts";
import { PAGE_LIMIT } from "../platform/paging.ts";
import { z } from "@hono/zod-openapi";
import { ROLES } from "../identity/memberships.ts";
import {
  fitsBcrypt,
  PASSWORD_MAX,
  PASSWORD_MAX_BYTES,
  PASSWORD_MIN,
  PASSWORD_TOO_LONG,
} from "../identity/passwords.ts";
import type { MemberView } from "../access/org-flows.ts";
import { ORG_STATUSES } from "../tenants/org-status.ts";
import type { Org } from "../tenants/orgs.ts";
import { ProblemSchema } from "./problem.ts";

export const Id = z.string().regex(ID_PATTERN).openapi({
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
/**
 * A path parameter is one URL segment of plain characters: letters, digits, `_` and `-`, never
 * `/`, `.`, `%`, `?` or `#`, so no value can be read as another path (or climb to one) however a
 * client or proxy decodes it. Anything else is 400 `validation_failed`; a well-formed id that
 * names nothing stays 404.
 */
export const PATH_SEGMENT = /^[A-Za-z0-9_-]+$/;
const SEGMENT_MESSAGE = "Use letters, digits, _ or - only";

/** The path parameter `name`: at most `max` characters of PATH_SEGMENT. */
export const pathParam = (name: string, max: number, example: string) =>
  z.string().min(1).max(max).regex(PATH_SEGMENT, SEGMENT_MESSAGE).openapi({
    param: { name, in: "path" },
    example,
  });

export const Slug = z.string().min(1).max(64)
  .regex(/^[a-z0-9-]+$/, "A slug is lower-case letters, digits and hyphens")
  .openapi({ param: { name: "slug", in: "path" }, example: "acme-corp" });
export const Role = z.enum(ROLES);
/** The path parameters of a route under `/v1/orgs/{slug}`. */
export const SlugParams = z.object({ slug: Slug });

/** A timestamp as the API writes it: ISO 8601 in UTC. */
export const DateTime = z.string().openapi({ format: "date-time" });

export const OrgSchema = z.object({
  id: Id,
  slug: z.string(),
  name: z.string(),
  status: z.enum(ORG_STATUSES),
  createdAt: DateTime,
  updatedAt: DateTime,
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

/** The org with what its members see. */
export function memberOrg({ org, role, memberCount }: MemberView) {
  return {
    ...publicOrg(org),
    databaseName: org.databaseName,
    cluster: org.cluster,
    role,
    memberCount,
  };
}

/** The fields of a token pair (`TokenPair`, `SignInPair`). */
const tokenPairShape = {
  accessToken: z.string(),
  tokenType: z.literal("Bearer"),
  expiresIn: z.number().int().openapi({ description: "Seconds until the access token expires" }),
  refreshToken: z.string(),
  org: z.object({ id: Id, slug: z.string() }),
  role: Role,
};

export const TokenPairSchema = z.object(tokenPairShape).openapi("TokenPair");

/**
 * A sign-in's or refresh's token pair: as `TokenPair`, or, for an operator who belongs to no
 * org, with `org` and `role` null (the token is good for `/v1/admin/*` and `/v1/me` only; every
 * org's routes answer it 404). Its own object, not `TokenPair` extended: an extension is
 * `allOf` with `TokenPair`, whose non-null `org` no operator's answer would satisfy.
 */
export const SignInPairSchema = z.object({
  ...tokenPairShape,
  org: tokenPairShape.org.nullable().openapi({
    description: "Null for an operator signed in outside any org",
  }),
  role: Role.nullable().openapi({ description: "Null for an operator signed in outside any org" }),
}).openapi("SignInPair");

/**
 * `schema` or `null`. For a named schema (a `$ref`), zod's `.nullable()` renders as `allOf`
 * with `{ type: [..., "null"] }`, which no `null` satisfies; this is `anyOf` with
 * `{ type: "null" }`, as OpenAPI 3.1 generators read it. (For an inline schema `.nullable()`
 * is right: `type: [..., "null"]`.)
 */
export const nullable = <T extends z.ZodType>(schema: T) => z.union([schema, z.null()]);

const problemContent = { "application/problem+json": { schema: ProblemSchema } };
const retryAfter = {
  "Retry-After": {
    description: "Seconds to wait before retrying",
    schema: { type: "integer" as const, minimum: 1 },
  },
};

/** The statuses `errors()` declares, each with its description. */
const DESCRIPTIONS = {
  400: "Invalid input (validation_failed, weak_password, org_required, ...)",
  401: "Missing, invalid or expired credentials",
  403: "Not allowed for this role or API key scope (insufficient_scope), or the org is suspended",
  404: "Not found, or in an org the caller does not belong to",
  409: "Conflict",
  412: "Stale If-Match (precondition_failed)",
  413: "Body too large (payload_too_large)",
  415: "Body is not application/json (unsupported_media_type)",
  429: "Rate limited (rate_limited): retry after Retry-After seconds",
  503:
    "Database unavailable, the service stopping, overloaded or org in maintenance: retry after " +
    "Retry-After seconds",
} as const;
export type DeclaredError = keyof typeof DESCRIPTIONS;

type ProblemResponse = { description: string; content: typeof problemContent };
type RetryResponse = ProblemResponse & { headers: typeof retryAfter };
/** `{ [status]: Problem response }`, keyed by the literal statuses, so the client types them. */
export type ErrorResponses<S extends DeclaredError> = {
  [K in S | 503]: K extends 429 | 503 ? RetryResponse : ProblemResponse;
};

/**
 * The error responses of a route: each status as `Problem`, 429 and 503 with `Retry-After`.
 * 503 is always there (the database can fail under any route). A route with a JSON body lists
 * 400, 413 and 415 (tests/api/openapi.test.ts checks it); the typed client narrows `res.status`
 * to exactly these after `if (!res.ok)`.
 *
 * @example responses: { 200: json(OrgSchema, "The org"), ...errors(400, 401, 404) }
 */
export function errors<const S extends DeclaredError[]>(...statuses: S): ErrorResponses<S[number]> {
  const all = [...new Set<DeclaredError>([...statuses, 503])];
  return Object.fromEntries(all.map((s) => [s, {
    description: DESCRIPTIONS[s],
    content: problemContent,
    ...(s === 429 || s === 503 ? { headers: retryAfter } : {}),
  }])) as ErrorResponses<S[number]>;
}

/** The `Location` header of a created resource's answer: `what` it points to. */
export const locationHeader = (what: string) => ({
  Location: { description: `${what} (a path)`, schema: { type: "string" as const } },
});

/** The request body of a JSON route; its route declares 400, 413 and 415 in `errors()`. */
export const jsonBody = <T extends z.ZodType>(schema: T, description?: string) => ({
  body: { content: { "application/json": { schema } }, required: true, description },
});

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { "application/json": { schema } },
  description,
});

type Security = Record<string, string[]>[];
/** A route for signed-in callers (with the `auth` marker). */
export const bearer: Security = [{ bearerAuth: [] }];
/** A route that anyone may call but that answers more with a token (`optionalAuth`). */
export const optionalBearer: Security = [{}, { bearerAuth: [] }];
/** A route for anyone, whose answer no token changes (`publicAccess`). */
export const noSecurity: Security = [];

/**
 * The document's tags: every operation has exactly one of them (tests/api/openapi.test.ts).
 * A new area of the API adds its tag here, with a description.
 */
export const TAGS = [
  { name: "platform", description: "Liveness, readiness and this document" },
  { name: "orgs", description: "Organizations: create, read, rename, delete" },
  { name: "auth", description: "Sign-in, refresh, switching org, sign-out and the caller" },
  { name: "members", description: "An org's members and its invitations" },
  { name: "audit", description: "An org's audit log" },
  { name: "data", description: "The org's own database: collections and documents" },
  { name: "api-keys", description: "An org's API keys for its backends and scripts" },
  { name: "webhooks", description: "An org's webhook endpoints and their deliveries" },
  { name: "admin", description: "Operators (platform staff): every org, deployments, jobs" },
  {
    name: "compatibility",
    description: "The original service's routes, kept for its existing clients",
  },
] as const;
export type Tag = typeof TAGS[number]["name"];

/** The `limit` of every paged list (src/platform/paging.ts `PAGE_LIMIT`). */
export const PageLimit = z.coerce.number().int().min(PAGE_LIMIT.min).max(PAGE_LIMIT.max)
  .default(PAGE_LIMIT.default).openapi({
    description: `Page size, ${PAGE_LIMIT.min}–${PAGE_LIMIT.max} (default ${PAGE_LIMIT.default})`,
  });

export const PageQuery = z.strictObject({
  limit: PageLimit,
  cursor: z.string().max(400).optional().openapi({
    description: "Opaque: the `nextCursor` of the previous page",
  }),
});

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });
