/**
 * What operators do (docs/operating.md, "Operators"): see every org whatever its status, suspend
 * and resume one, move one to another deployment, see the deployments and the jobs. Whether the
 * caller is an operator is checked before any of these (src/access/operators.ts); what an operator
 * does to an org goes to that org's audit log.
 */
import { recordEvent, type RequestContext } from "../audit/audit.ts";
import { emitEvent } from "../events/catalogue.ts";
import { withTimeout } from "../platform/async.ts";
import { tag } from "../platform/cache.ts";
import { isUnavailable } from "../platform/db.ts";
import type { Deps } from "../platform/deps.ts";
import { invalidCursor, jobNotFound, orgNotFound } from "../platform/errors.ts";
import { isId } from "../platform/ids.ts";
import { decodeCursor, encodeCursor, type Page, pageLimit } from "../platform/paging.ts";
import { countMembersOfOrgs } from "../identity/memberships.ts";
import { LATEST_SCHEMA_VERSION } from "../tenants/migrations/mod.ts";
import { findOrgBySlug, type Org, orgsPage, transitionOrg } from "../tenants/orgs.ts";
import type { OrgStatus } from "../tenants/org-status.ts";
import { clusterNames, orgCountsByCluster } from "../tenants/placement.ts";
import { getJob, type JobStatus, type JobView, listJobs, toJobView } from "./jobs.ts";
import { requestMove } from "./move/mod.ts";

/** An org as an operator sees it in a list. */
export interface AdminOrg {
  id: string;
  slug: string;
  name: string;
  status: OrgStatus;
  cluster: string;
  schemaVersion: number;
  memberCount: number;
  /** Set while a move job copies the org to another deployment. */
  move?: { jobId: string; to: string; since: Date };
  /** Set while writes are refused. */
  maintenance?: { reason: string; since: Date };
  createdAt: Date;
  updatedAt: Date;
}

/** What the org's database takes on its deployment, from `dbStats`. */
export interface StorageFigures {
  collections: number;
  /** Every document of the database, the service's own collections (audit log) included. */
  documents: number;
  dataBytes: number;
  indexBytes: number;
  /** Data and indexes as stored. */
  bytes: number;
}

/** One org in detail: its deployment, its schema against this code's, its storage. */
export interface AdminOrgDetail extends AdminOrg {
  databaseName: string;
  deployment: { name: string; reachable: boolean };
  schema: { version: number; latest: number };
  /** Null when the deployment did not answer. */
  storage: StorageFigures | null;
}

export interface Deployment {
  name: string;
  orgCount: number;
  reachable: boolean;
}

/** How long a deployment has to answer a ping before the admin views call it unreachable. */
const PING_TIMEOUT_MS = 2000;

function adminOrg(org: Org, memberCount: number): AdminOrg {
  return {
    id: org.id,
    slug: org.slug,
    name: org.name,
    status: org.status,
    cluster: org.cluster,
    schemaVersion: org.schemaVersion,
    memberCount,
    ...(org.move ? { move: org.move } : {}),
    ...(org.maintenance ? { maintenance: org.maintenance } : {}),
    createdAt: org.createdAt,
    updatedAt: org.updatedAt,
  };
}

/** The keyset options of an id-ordered admin list; the filters are part of the cursor's scope. */
const idKeyset = (deps: Deps, scope: string) => ({
  sort: [],
  scope,
  secret: deps.config.jwtSecret,
});

async function afterId(deps: Deps, scope: string, cursor?: string): Promise<string | undefined> {
  if (cursor === undefined) return undefined;
  const { id } = await decodeCursor(idKeyset(deps, scope), cursor);
  if (typeof id !== "string" || !isId(id)) throw invalidCursor();
  return id;
}

async function idPage<T extends { id: string }>(
  deps: Deps,
  scope: string,
  rows: T[],
  limit: number,
): Promise<Page<T>> {
  const items = rows.slice(0, limit);
  if (rows.length <= limit) return { items, nextCursor: null };
  const last = items[items.length - 1].id;
  return { items, nextCursor: await encodeCursor(idKeyset(deps, scope), { values: [], id: last }) };
}

export interface OrgListQuery {
  status?: OrgStatus;
  cluster?: string;
  limit?: number;
  cursor?: string;
}

/** Every org, any status, oldest first, optionally of one status or deployment. */
export async function listOrgs(deps: Deps, query: OrgListQuery = {}): Promise<Page<AdminOrg>> {
  const limit = pageLimit(query.limit);
  const scope = `admin-orgs:${query.status ?? ""}:${query.cluster ?? ""}`;
  const rows = await orgsPage(
    deps.db.master,
    { status: query.status, cluster: query.cluster },
    await afterId(deps, scope, query.cursor),
    limit + 1,
  );
  const members = await countMembersOfOrgs(deps.db.master, rows.slice(0, limit).map((o) => o.id));
  const views = rows.map((o) => adminOrg(o, members.get(o.id) ?? 0));
  return await idPage(deps, scope, views, limit);
}

/** One org by slug, whatever its status; 404 `org_not_found` when there is none. */
export async function getOrg(deps: Deps, slug: string): Promise<AdminOrgDetail> {
  const org = await findOrgBySlug(deps.db.master, slug);
  if (!org) throw orgNotFound();
  const members = await countMembersOfOrgs(deps.db.master, [org.id]);
  const storage = await storageOf(deps, org);
  return {
    ...adminOrg(org, members.get(org.id) ?? 0),
    databaseName: org.databaseName,
    deployment: { name: org.cluster, reachable: storage !== null },
    schema: { version: org.schemaVersion, latest: LATEST_SCHEMA_VERSION },
    storage,
  };
}

/** `dbStats` of the org's database; null when its deployment does not answer in time. */
async function storageOf(deps: Deps, org: Org): Promise<StorageFigures | null> {
  if (!Object.hasOwn(deps.db.clients, org.cluster)) return null;
  try {
    const s = await withTimeout(
      deps.db.tenantDb(org).command({ dbStats: 1, scale: 1 }),
      PING_TIMEOUT_MS,
    );
    if (!s) return null;
    const num = (v: unknown) => Number(v ?? 0);
    const indexBytes = num(s.indexSize);
    return {
      collections: num(s.collections),
      documents: num(s.objects),
      dataBytes: num(s.dataSize),
      indexBytes,
      bytes: s.totalSize !== undefined
        ? num(s.totalSize)
        : num(s.storageSize ?? s.dataSize) + indexBytes,
    };
  } catch (e) {
    if (isUnavailable(e)) return null;
    throw e;
  }
}

/**
 * Suspend an active org: its tokens get 403 `org_suspended` at once on this instance and within
 * the cache period on the others; its data is untouched. Suspending a suspended org changes
 * nothing. 404 for an org that is not live (provisioning, deleting, gone).
 */
export async function suspendOrg(
  deps: Deps,
  slug: string,
  ctx: RequestContext,
): Promise<AdminOrg> {
  return await setSuspended(deps, slug, true, ctx);
}

/** Resume a suspended org (the reverse of `suspendOrg`). */
export async function resumeOrg(deps: Deps, slug: string, ctx: RequestContext): Promise<AdminOrg> {
  return await setSuspended(deps, slug, false, ctx);
}

async function setSuspended(
  deps: Deps,
  slug: string,
  on: boolean,
  ctx: RequestContext,
): Promise<AdminOrg> {
  const master = deps.db.master;
  const [from, to]: OrgStatus[] = on ? ["active", "suspended"] : ["suspended", "active"];
  const org = await findOrgBySlug(master, slug);
  if (!org || (org.status !== "active" && org.status !== "suspended")) throw orgNotFound();
  let result = org;
  if (org.status === from) {
    const changed = await transitionOrg(master, org.id, [from], to, deps.now());
    deps.cache.forget(tag.org(org.id));
    if (changed) {
      await recordEvent(deps, changed, on ? "org.suspended" : "org.resumed", ctx);
      await emitEvent(deps, {
        org: changed,
        type: on ? "org.suspended" : "org.resumed",
        data: {},
        key: `${on ? "suspended" : "resumed"}:${changed.updatedAt.getTime()}`,
      });
      result = changed;
    } else {
      // Changed meanwhile (another operator, a deletion): answer with what it is now.
      const now = await findOrgBySlug(master, slug);
      if (!now || now.id !== org.id || now.status !== to) throw orgNotFound();
      result = now;
    }
  }
  const members = await countMembersOfOrgs(master, [result.id]);
  return adminOrg(result, members.get(result.id) ?? 0);
}

/**
 * Queue a move of the org to deployment `cluster` (src/ops/move/request.ts, which records it in
 * the org's audit log); any instance's job runner carries it out. 400 for an unknown deployment,
 * 404 for an org that is not live, 409 when it is there already or being moved.
 */
export async function moveOrg(
  deps: Deps,
  slug: string,
  cluster: string,
  ctx: RequestContext,
): Promise<{ jobId: string }> {
  const job = await requestMove(deps, slug, cluster, ctx);
  return { jobId: job.id };
}

/** Every configured deployment: how many orgs it holds, whether it answers a ping now. */
export async function listDeployments(deps: Deps): Promise<{ items: Deployment[] }> {
  const names = clusterNames(deps.db);
  const [counts, reachable] = await Promise.all([
    orgCountsByCluster(deps.db),
    Promise.all(names.map((n) => ping(deps, n))),
  ]);
  return {
    items: names.map((name, i) => ({
      name,
      orgCount: counts.get(name) ?? 0,
      reachable: reachable[i],
    })),
  };
}

async function ping(deps: Deps, cluster: string): Promise<boolean> {
  const answer = await withTimeout(
    deps.db.clients[cluster].db("admin").command({ ping: 1 }).then(() => true, () => false),
    PING_TIMEOUT_MS,
  );
  return answer === true;
}

export interface JobListQuery {
  kind?: string;
  status?: JobStatus;
  limit?: number;
  cursor?: string;
}

/** Jobs newest first, optionally of one kind and status. */
export async function listJobsPage(
  deps: Deps,
  query: JobListQuery = {},
): Promise<Page<JobView>> {
  const limit = pageLimit(query.limit);
  const scope = `admin-jobs:${query.kind ?? ""}:${query.status ?? ""}`;
  const rows = await listJobs(deps.db.master, {
    kind: query.kind,
    status: query.status,
    before: await afterId(deps, scope, query.cursor),
    limit: limit + 1,
  });
  return await idPage(deps, scope, rows.map(toJobView), limit);
}

/** One job; 404 `job_not_found` for an unknown id. */
export async function getJobView(deps: Deps, id: string): Promise<JobView> {
  const job = await getJob(deps.db.master, id);
  if (!job) throw jobNotFound();
  return toJobView(job);
}
