/** Renaming an org: name and slug change together; its database, named by id, stays. */
import { recordEvent, type RequestContext } from "../audit/audit.ts";
import { emitEvent } from "../events/catalogue.ts";
import { isDuplicateKey } from "../platform/db.ts";
import { tag } from "../platform/cache.ts";
import type { Deps } from "../platform/deps.ts";
import { orgExists, orgNotFound } from "../platform/errors.ts";
import { checkName } from "./names.ts";
import { type Org, renameOrg as renameOrgDoc } from "./orgs.ts";

/** Rename: name and slug change in one update; the database (named by id) does not move. */
export async function renameOrg(
  deps: Deps,
  org: Org,
  rawName: string,
  ctx: RequestContext,
): Promise<Org> {
  const { name, slug } = checkName(rawName);
  if (name === org.name && slug === org.slug) return org;
  try {
    const renamed = await renameOrgDoc(deps.db.master, org.id, name, slug, deps.now());
    if (!renamed) throw orgNotFound();
    deps.cache.forget(tag.org(org.id));
    await recordEvent(deps, renamed, "org.renamed", ctx, { from: org.name, to: renamed.name });
    await emitEvent(deps, {
      org: renamed,
      type: "org.updated",
      data: { name: renamed.name, previous: { name: org.name, slug: org.slug } },
      key: `org.updated:${renamed.updatedAt.getTime()}`,
    });
    return renamed;
  } catch (e) {
    if (isDuplicateKey(e)) throw orgExists();
    throw e;
  }
}
