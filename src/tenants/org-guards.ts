/**
 * Checks before serving an org's own database: its schema must be one this code knows (a rolling
 * upgrade can leave an older instance behind a newer `deno task migrate`), and writes wait while
 * a move switches the org to another deployment.
 */
import type { Deps } from "../platform/deps.ts";
import { AppError } from "../platform/errors.ts";
import { LATEST_SCHEMA_VERSION } from "./migrations/mod.ts";
import { findOrgById, type Org } from "./orgs.ts";

/** Seconds a writer should wait while an org is in maintenance (a move's switch is short). */
export const MAINTENANCE_RETRY_AFTER_SECONDS = 2;
/** Seconds a caller should wait for an instance that knows the org's schema. */
export const SCHEMA_RETRY_AFTER_SECONDS = 30;

/**
 * 503 `org_schema_too_new` when the org's database has a schema newer than this code knows,
 * with a log line (at most one per org per cache period) telling the operator to upgrade.
 */
export async function assertSchemaKnown(
  deps: Pick<Deps, "cache" | "log">,
  org: Pick<Org, "id" | "slug" | "schemaVersion">,
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
  throw new AppError(
    503,
    "org_schema_too_new",
    "This instance does not know the organization's data schema yet; retry later",
    { headers: { "Retry-After": String(SCHEMA_RETRY_AFTER_SECONDS) } },
  );
}

/** 503 `org_maintenance` with `Retry-After` while the org refuses writes. */
export function assertWritable(org: Pick<Org, "maintenance">): void {
  if (!org.maintenance) return;
  throw new AppError(
    503,
    "org_maintenance",
    "The organization is in maintenance: reads work, writes resume shortly",
    { headers: { "Retry-After": String(MAINTENANCE_RETRY_AFTER_SECONDS) } },
  );
}

/**
 * The org to write to, for a writer holding `org` from a cache. While a move is under way the
 * org document is read fresh, so the maintenance that freezes the source, and the switch that
 * ends it, apply to every write at once rather than after the cache period. Throws like
 * `assertWritable`, or 404 when the org is gone.
 */
export async function writableOrg(deps: Pick<Deps, "db">, org: Org): Promise<Org> {
  if (!org.move && !org.maintenance) return org;
  const fresh = await findOrgById(deps.db.master, org.id);
  if (!fresh || (fresh.status !== "active" && fresh.status !== "suspended")) {
    throw new AppError(404, "org_not_found", "Organization not found");
  }
  assertWritable(fresh);
  return fresh;
}
