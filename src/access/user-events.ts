/** Events about a user, not an org: recorded in the audit log of each org the user belongs to. */
import { type AuditEventType, recordEvent, type RequestContext } from "../audit/audit.ts";
import type { Deps } from "../platform/deps.ts";
import { membershipsOfUser } from "../identity/memberships.ts";
import { isVisible } from "../tenants/org-status.ts";
import { findOrgsByIds } from "../tenants/orgs.ts";

export async function recordUserEvent(
  deps: Deps,
  user: { id: string; email: string },
  type: AuditEventType,
  ctx: RequestContext,
): Promise<void> {
  const ms = await membershipsOfUser(deps.db.master, user.id);
  const orgs = await findOrgsByIds(deps.db.master, ms.map((m) => m.orgId));
  const actor = { ...ctx, actor: { userId: user.id, email: user.email } };
  for (const org of orgs.filter(isVisible)) {
    await recordEvent(deps, org, type, actor, { userId: user.id, email: user.email });
  }
}
