/** Who acts on which org's data, built once per request by the HTTP layer. */
import type { RequestContext } from "../audit/audit.ts";
import type { Deps } from "../platform/deps.ts";
import type { Org } from "../tenants/orgs.ts";

export interface DataScope {
  deps: Deps;
  /** The caller's own org (from the verified token, never from the request). */
  org: Org;
  /** For the audit log: who, from where, in which request. */
  request: RequestContext;
}
