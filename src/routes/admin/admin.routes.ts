/**
 * Operator routes (docs/operating.md, "Operators"): every one is for operators only, anyone else
 * 403.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { auth, noKeys, operator } from "../../http/access.ts";
import {
  bearer,
  errors,
  Id,
  json,
  jsonBody,
  pageOf,
  PageQuery,
  pathParam,
  Slug,
} from "../../http/schemas.ts";
import { JOB_STATUSES } from "../../ops/jobs.ts";
import { ORG_STATUSES } from "../../tenants/org-status.ts";

const Cluster = z.string().min(1).max(64).openapi({ example: "default" });
const SlugParams = z.object({ slug: Slug });
const Time = z.string().openapi({ format: "date-time" });
const FOR_OPERATORS = " For operators only (the platform role, read at most 5 seconds ago); " +
  "anyone else is 403 `forbidden` (a malformed request is 400 first, whoever sends it).";

export const AdminOrgSchema = z.object({
  id: Id,
  slug: z.string(),
  name: z.string(),
  status: z.enum(ORG_STATUSES),
  cluster: z.string().openapi({ description: "The deployment holding the org's database" }),
  schemaVersion: z.number().int(),
  memberCount: z.number().int(),
  move: z.object({ jobId: Id, to: z.string(), since: Time }).optional().openapi({
    description: "Set while a move job copies the org to another deployment",
  }),
  maintenance: z.object({ reason: z.string(), since: Time }).optional().openapi({
    description: "Set while the org's writes are refused (503 `org_maintenance`)",
  }),
  createdAt: Time,
  updatedAt: Time,
}).openapi("AdminOrg");

export const AdminOrgDetailSchema = AdminOrgSchema.extend({
  databaseName: z.string(),
  deployment: z.object({ name: z.string(), reachable: z.boolean() }),
  schema: z.object({
    version: z.number().int(),
    latest: z.number().int().openapi({ description: "The newest schema this instance knows" }),
  }),
  storage: z.object({
    collections: z.number().int(),
    documents: z.number().int(),
    dataBytes: z.number().int(),
    indexBytes: z.number().int(),
    bytes: z.number().int(),
  }).nullable().openapi({ description: "Null when the deployment did not answer in time" }),
}).openapi("AdminOrgDetail");

export const JobSchema = z.object({
  id: Id,
  kind: z.string(),
  status: z.enum(JOB_STATUSES),
  progress: z.object({ done: z.number().int(), total: z.number().int() }),
  error: z.string().optional(),
  createdAt: Time,
  updatedAt: Time,
}).openapi("Job");

export const DeploymentSchema = z.object({
  name: z.string(),
  orgCount: z.number().int(),
  reachable: z.boolean(),
}).openapi("Deployment");

export const listOrgs = createRoute({
  method: "get",
  path: "/v1/admin/orgs",
  operationId: "adminListOrgs",
  tags: ["admin"],
  summary: "Every org, any status, oldest first",
  description: "Optionally of one `status` or one deployment (`cluster`)." + FOR_OPERATORS,
  security: bearer,
  middleware: [auth, noKeys, operator] as const,
  request: {
    query: PageQuery.extend({
      status: z.enum(ORG_STATUSES).optional(),
      cluster: Cluster.optional(),
    }),
  },
  responses: {
    200: json(pageOf(AdminOrgSchema), "A page of orgs"),
    ...errors(400, 401, 403),
  },
});

export const getOrg = createRoute({
  method: "get",
  path: "/v1/admin/orgs/{slug}",
  operationId: "adminGetOrg",
  tags: ["admin"],
  summary: "One org, any status, with its deployment, schema version and storage figures",
  description: "404 `org_not_found` for no such org." + FOR_OPERATORS,
  security: bearer,
  middleware: [auth, noKeys, operator] as const,
  request: { params: SlugParams },
  responses: {
    200: json(AdminOrgDetailSchema, "The org"),
    ...errors(400, 401, 403, 404),
  },
});

export const suspend = createRoute({
  method: "post",
  path: "/v1/admin/orgs/{slug}/suspend",
  operationId: "suspendOrg",
  tags: ["admin"],
  summary: "Suspend an org: its tokens get 403 `org_suspended`; its data is untouched",
  description: "At once on this instance, within 5 seconds on every other. Suspending a " +
    "suspended org changes nothing. 404 for an org that is not active or suspended. Recorded " +
    "in the org's audit log." + FOR_OPERATORS,
  security: bearer,
  middleware: [auth, noKeys, operator] as const,
  request: { params: SlugParams },
  responses: { 200: json(AdminOrgSchema, "The org"), ...errors(400, 401, 403, 404) },
});

export const resume = createRoute({
  method: "post",
  path: "/v1/admin/orgs/{slug}/resume",
  operationId: "resumeOrg",
  tags: ["admin"],
  summary: "Resume a suspended org",
  description: "Resuming an active org changes nothing. Recorded in the org's audit log." +
    FOR_OPERATORS,
  security: bearer,
  middleware: [auth, noKeys, operator] as const,
  request: { params: SlugParams },
  responses: { 200: json(AdminOrgSchema, "The org"), ...errors(400, 401, 403, 404) },
});

export const move = createRoute({
  method: "post",
  path: "/v1/admin/orgs/{slug}/move",
  operationId: "moveOrg",
  tags: ["admin"],
  summary: "Move an org's database to another deployment (a job)",
  description: "The org's database is copied to `cluster`, verified (counts, per-collection " +
    "checksums, indexes), switched over and dropped at the source. Reads work throughout; " +
    "writes get 503 `org_maintenance` with Retry-After during the final catch-up and switch " +
    "only. 400 for an unknown deployment, 404 for an org that is not active or suspended, 409 " +
    "`already_there` or `move_in_progress`. Follow it at `GET /v1/admin/jobs/{id}`; the org's " +
    "audit log records `org.move_requested` and `org.moved`." + FOR_OPERATORS,
  security: bearer,
  middleware: [auth, noKeys, operator] as const,
  request: { params: SlugParams, ...jsonBody(z.strictObject({ cluster: Cluster })) },
  responses: {
    202: json(z.object({ jobId: Id }), "Queued"),
    ...errors(400, 401, 403, 404, 409, 413, 415),
  },
});

export const deployments = createRoute({
  method: "get",
  path: "/v1/admin/deployments",
  operationId: "listDeployments",
  tags: ["admin"],
  summary: "The configured MongoDB deployments: orgs on each, whether each answers a ping now",
  description: FOR_OPERATORS.trim(),
  security: bearer,
  middleware: [auth, noKeys, operator] as const,
  responses: {
    200: json(z.object({ items: z.array(DeploymentSchema) }), "The deployments"),
    ...errors(401, 403),
  },
});

export const listJobs = createRoute({
  method: "get",
  path: "/v1/admin/jobs",
  operationId: "listJobs",
  tags: ["admin"],
  summary: "Jobs (moves, migration runs), newest first",
  description: "Optionally of one `kind` (`move`, ...) or `status`." + FOR_OPERATORS,
  security: bearer,
  middleware: [auth, noKeys, operator] as const,
  request: {
    query: PageQuery.extend({
      kind: z.string().min(1).max(64).optional(),
      status: z.enum(JOB_STATUSES).optional(),
    }),
  },
  responses: { 200: json(pageOf(JobSchema), "A page of jobs"), ...errors(400, 401, 403) },
});

export const getJob = createRoute({
  method: "get",
  path: "/v1/admin/jobs/{id}",
  operationId: "getJob",
  tags: ["admin"],
  summary: "One job: its status and progress",
  description: "404 `job_not_found` for an unknown id." + FOR_OPERATORS,
  security: bearer,
  middleware: [auth, noKeys, operator] as const,
  request: {
    params: z.object({ id: pathParam("id", 64, "6745f1c2a9e4b1d2c3f4a5b6") }),
  },
  responses: { 200: json(JobSchema, "The job"), ...errors(400, 401, 403, 404) },
});

export type ListOrgsRoute = typeof listOrgs;
export type GetOrgRoute = typeof getOrg;
export type SuspendRoute = typeof suspend;
export type ResumeRoute = typeof resume;
export type MoveRoute = typeof move;
export type DeploymentsRoute = typeof deployments;
export type ListJobsRoute = typeof listJobs;
export type GetJobRoute = typeof getJob;
