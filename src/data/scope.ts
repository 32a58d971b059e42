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
  return inOrg(scope, await writableOrg(scope.deps, scope.org));
}

/** The scope to read in: while the org is being moved, its fresh document (reads continue). */
export async function forReading(scope: DataScope): Promise<DataScope> {
  return inOrg(scope, await readableOrg(scope.deps, scope.org));
}

/** The same scope in `org` (named field by field: a scope's `request` may be a getter). */
function inOrg(scope: DataScope, org: Org): DataScope {
  return org === scope.org ? scope : { deps: scope.deps, org, request: scope.request };
}
