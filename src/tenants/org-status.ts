/**
 * An org's status and what it allows, from one list: who may see it, sign into it, write to it.
 * Also the checks before serving an org's own database: its schema must be one this code knows
 * (a rolling upgrade can leave an older instance behind a newer `deno task migrate`), and writes
 * wait while a move switches the org to another cluster.
 *
 * The rules read only the fields they name, so this module does not import `./orgs.ts`: the
 * `orgs` collection imports its statuses from here, and the arrow points one way.
 */
import type { Deps } from "../platform/deps.ts";
import { orgMaintenance, orgSchemaTooNew, orgSuspended } from "../platform/errors.ts";
import { LATEST_SCHEMA_VERSION } from "./migrations/mod.ts";

export const ORG_STATUSES = ["provisioning", "active", "suspended", "deleting"] as const;
export type OrgStatus = typeof ORG_STATUSES[number];

/** The fields of an org (`Org` in ./orgs.ts) that the checks below read. */
interface OrgFields {
  id: string;
  slug: string;
  status: OrgStatus;
  maintenance?: { reason: string; since: Date };
  schemaVersion: number;
}

/** The statuses of an org whose database is in use: clients see it, members sign into it. */
export const VISIBLE_STATUSES: OrgStatus[] = ["active", "suspended"];

/** Clients may see the org (it is neither being provisioned nor deleted). */
export const isVisible = (org: Pick<OrgFields, "status">): boolean =>
  org.status === "active" || org.status === "suspended";

/** 403 `org_suspended` for a suspended org: its members are refused until it is resumed. */
export function assertNotSuspended(org: Pick<OrgFields, "status">): void {
  if (org.status === "suspended") throw orgSuspended();
}

/** 503 `org_maintenance` with `Retry-After` while the org refuses writes. */
export function assertWritable(org: Pick<OrgFields, "maintenance">): void {
  if (org.maintenance) throw orgMaintenance();
}

/**
 * 503 `org_schema_too_new` when the org's database has a schema newer than this code knows,
 * with a log line (at most one per org per cache period) telling the operator to upgrade.
 */
export async function assertSchemaKnown(
  deps: Pick<Deps, "cache" | "log">,
  org: Pick<OrgFields, "id" | "slug" | "schemaVersion">,
  known = LATEST_SCHEMA_VERSION,
): Promise<void> {
  if (org.schemaVersion <= known) return;
  await deps.cache.get(`schema-too-new:${org.id}`, () => {
    deps.log.error("an org's schema is newer than this service knows; upgrade this instance", {
      orgId: org.id,
      slug: org.slug,
      schemaVersion: org.schemaVersion,
      known,
    });
    return Promise.resolve({ value: true, tags: [] });
  });
  throw orgSchemaTooNew();
}
