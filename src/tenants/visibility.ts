/**
 * Finding an org clients may see (active or suspended) through the short-TTL cache, by slug, id
 * or name: a rename or deletion on this instance shows at once, on others within the cache TTL.
 * Unknown orgs are not cached, so a new org is visible everywhere at once.
 */
import { tag } from "../platform/cache.ts";
import type { Deps } from "../platform/deps.ts";
import { orgNotFound } from "../platform/errors.ts";
import { slugify } from "./names.ts";
import { assertWritable, isVisible } from "./org-status.ts";
import { findOrgById, findOrgBySlug, type Org } from "./orgs.ts";

export async function visibleOrg(deps: Deps, by: { slug: string } | { id: string }): Promise<Org> {
  const key = "slug" in by ? `org-slug:${by.slug}` : `org-id:${by.id}`;
  return await deps.cache.get(key, async () => {
    const org = "slug" in by
      ? await findOrgBySlug(deps.db.master, by.slug)
      : await findOrgById(deps.db.master, by.id);
    if (!org || !isVisible(org)) throw orgNotFound();
    return { value: org, tags: [tag.org(org.id)] };
  });
}

/** An org named by any name that gives its slug ("Acme Corp", "acme corp", "acme-corp"). */
export async function visibleOrgByName(deps: Deps, name: string): Promise<Org> {
  return await visibleOrg(deps, { slug: slugify(name) });
}

/**
 * The org to write to, for a writer holding `org` from a cache. While a move is under way the
 * org document is read fresh, so the maintenance that freezes the source, and the switch that
 * ends it, apply to every write at once rather than after the cache period. Throws like
 * `assertWritable`, or 404 when the org is gone.
 */
export async function writableOrg(deps: Pick<Deps, "db">, org: Org): Promise<Org> {
  const fresh = await readableOrg(deps, org);
  if (fresh !== org) assertWritable(fresh);
  return fresh;
}

/**
 * The org to read from, for a reader holding `org` from a cache: while a move is under way the
 * org document is read fresh, so reads follow the switch at once (and see the writes made at
 * the target since). 404 when the org is gone.
 */
export async function readableOrg(deps: Pick<Deps, "db">, org: Org): Promise<Org> {
  if (!org.move && !org.maintenance) return org;
  const fresh = await findOrgById(deps.db.master, org.id);
  if (!fresh || !isVisible(fresh)) throw orgNotFound();
  return fresh;
}
