/** Who acts on which org's data, built once per request by the HTTP layer. */
import type { RequestContext } from "../audit/audit.ts";
import type { Deps } from "../platform/deps.ts";
import type { Org } from "../tenants/orgs.ts";
import { readableOrg, writableOrg } from "../tenants/visibility.ts";

export interface DataScope {
  deps: Deps;
  /** The caller's own org (from the verified token, never from the request). */
  org: Org;
  /** For the audit log: who, from where, in which request. */
  request: RequestContext;
}

/**
 * The scope to write in: while the org is being moved its document is read fresh, so a write in
 * the move's maintenance is 503 `org_maintenance` at once on every instance, and one after the
 * switch goes to the new deployment.
 */
export async function forWriting(scope: DataScope): Promise<DataScope> {
  const org = await writableOrg(scope.deps, scope.org);
  return org === scope.org ? scope : { ...scope, org };
}

/** The scope to read in: while the org is being moved, its fresh document (reads continue). */
export async function forReading(scope: DataScope): Promise<DataScope> {
  const org = await readableOrg(scope.deps, scope.org);
  return org === scope.org ? scope : { ...scope, org };
}
