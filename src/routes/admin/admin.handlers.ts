import {
  type AdminOrg,
  type AdminOrgDetail,
  getJobView,
  getOrg as getAdminOrg,
  listDeployments,
  listJobsPage,
  listOrgs as listAdminOrgs,
  moveOrg,
  resumeOrg,
  suspendOrg,
} from "../../ops/admin.ts";
import type { JobView } from "../../ops/jobs.ts";
import { requestOf } from "../../http/context.ts";
import type { AppRouteHandler } from "../../http/router.ts";
import type {
  DeploymentsRoute,
  GetJobRoute,
  GetOrgRoute,
  ListJobsRoute,
  ListOrgsRoute,
  MoveRoute,
  ResumeRoute,
  SuspendRoute,
} from "./admin.routes.ts";

const iso = (d: Date) => d.toISOString();

function orgView(o: AdminOrg) {
  return {
    id: o.id,
    slug: o.slug,
    name: o.name,
    status: o.status,
    cluster: o.cluster,
    schemaVersion: o.schemaVersion,
    memberCount: o.memberCount,
    ...(o.move ? { move: { ...o.move, since: iso(o.move.since) } } : {}),
    ...(o.maintenance
      ? { maintenance: { ...o.maintenance, since: iso(o.maintenance.since) } }
      : {}),
    createdAt: iso(o.createdAt),
    updatedAt: iso(o.updatedAt),
  };
}

function orgDetailView(o: AdminOrgDetail) {
  return {
    ...orgView(o),
    databaseName: o.databaseName,
    deployment: o.deployment,
    schema: o.schema,
    storage: o.storage,
  };
}

function jobView(j: JobView) {
  return {
    id: j.id,
    kind: j.kind,
    status: j.status,
    progress: { done: j.progress.done, total: j.progress.total },
    ...(j.error !== undefined ? { error: j.error } : {}),
    createdAt: iso(j.createdAt),
    updatedAt: iso(j.updatedAt),
  };
}

export const listOrgs: AppRouteHandler<ListOrgsRoute> = async (c) => {
  const page = await listAdminOrgs(c.get("deps"), c.req.valid("query"));
  return c.json({ items: page.items.map(orgView), nextCursor: page.nextCursor }, 200);
};

export const getOrg: AppRouteHandler<GetOrgRoute> = async (c) => {
  return c.json(orgDetailView(await getAdminOrg(c.get("deps"), c.req.valid("param").slug)), 200);
};

export const suspend: AppRouteHandler<SuspendRoute> = async (c) => {
  const org = await suspendOrg(c.get("deps"), c.req.valid("param").slug, requestOf(c));
  return c.json(orgView(org), 200);
};

export const resume: AppRouteHandler<ResumeRoute> = async (c) => {
  const org = await resumeOrg(c.get("deps"), c.req.valid("param").slug, requestOf(c));
  return c.json(orgView(org), 200);
};

export const move: AppRouteHandler<MoveRoute> = async (c) => {
  const { slug } = c.req.valid("param");
  const { cluster } = c.req.valid("json");
  return c.json(await moveOrg(c.get("deps"), slug, cluster, requestOf(c)), 202);
};

export const deployments: AppRouteHandler<DeploymentsRoute> = async (c) => {
  return c.json(await listDeployments(c.get("deps")), 200);
};

export const listJobs: AppRouteHandler<ListJobsRoute> = async (c) => {
  const page = await listJobsPage(c.get("deps"), c.req.valid("query"));
  return c.json({ items: page.items.map(jobView), nextCursor: page.nextCursor }, 200);
};

export const getJob: AppRouteHandler<GetJobRoute> = async (c) => {
  return c.json(jobView(await getJobView(c.get("deps"), c.req.valid("param").id)), 200);
};
