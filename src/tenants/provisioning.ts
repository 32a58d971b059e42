/**
 * Provisioning (docs/architecture.md, "Org lifecycle"): a resumable state machine recorded on the
 * org document, so that the reconciler can finish or roll back whatever a crash interrupts. No step
 * relies on a multi-document transaction. Who will own the org is src/tenants/new-owner.ts's;
 * undoing an unfinished provisioning is src/tenants/provisioning-rollback.ts's.
 */
import { ObjectId } from "mongodb";
import type { RequestContext } from "../audit/audit.ts";
import { isDuplicateKey } from "../platform/db.ts";
import type { Deps } from "../platform/deps.ts";
import { orgExists } from "../platform/errors.ts";
import { ownerOf, writeMarker } from "./meta.ts";
import { LATEST_SCHEMA_VERSION, migrateTenant } from "./migrations/mod.ts";
import { checkName } from "./names.ts";
import { type Created, type Owner, type PreparedOwner, prepareOwner } from "./new-owner.ts";
import { chooseCluster } from "./placement.ts";
import {
  activateOrg,
  findOrgById,
  insertOrg,
  type Org,
  type OrgDoc,
  setSchemaVersion,
} from "./orgs.ts";
import { decideOutcome } from "./outcomes.ts";
import { abandonProvisioning, RolledBack } from "./provisioning-rollback.ts";

/** A new org: its name, its owner, and the cluster an operator named (else the emptiest). */
export interface NewOrg {
  name: string;
  owner: Owner;
  cluster?: string;
}

/**
 * Create an org, its database and its owner (docs/architecture.md, "Org lifecycle", steps 1–4), under the creation policy
 * (ORG_CREATION, the per-address and per-user limits). Whether the caller is an operator is the
 * caller's to check (src/access/org-flows.ts).
 */
export async function createOrg(
  deps: Deps,
  { name: requested, owner, cluster }: NewOrg,
  ctx: RequestContext,
): Promise<Created> {
  const { name, slug } = checkName(requested);
  const prepared = await prepareOwner(deps, owner, { orgName: name, ctx });
  return await provisionOrg(deps, { name, slug, cluster, owner: prepared });
}

async function provisionOrg(
  deps: Deps,
  { name, slug, cluster, owner }: {
    name: string;
    slug: string;
    cluster?: string;
    owner: PreparedOwner;
  },
): Promise<Created> {
  const { db, hooks } = deps;
  // Step 1: the unique slug index claims the name atomically.
  const now = deps.now();
  const orgId = new ObjectId();
  const doc: OrgDoc = {
    _id: orgId,
    slug,
    name,
    status: "provisioning",
    cluster: await chooseCluster(db, cluster),
    databaseName: `${deps.config.tenantDbPrefix}${orgId.toHexString()}`,
    schemaVersion: 0,
    ownerId: owner.ownerId,
    provisioning: { userCreated: owner.userCreated },
    createdAt: now,
    updatedAt: now,
  };
  try {
    await insertOrg(db.master, doc);
  } catch (e) {
    if (isDuplicateKey(e)) throw orgExists();
    throw e;
  }
  const id = orgId.toHexString();
  await hooks.afterProvisioningStep?.("claimed", id);

  try {
    // Step 2: the tenant database: its owner marker first (so that no database of this org
    // ever exists without it), then its collections and indexes.
    const tenantDb = db.tenantDb({ cluster: doc.cluster, databaseName: doc.databaseName });
    await writeMarker(tenantDb, ownerOf(deps, id));
    const schemaVersion = await migrateTenant(tenantDb, ownerOf(deps, id), deps.log);
    await hooks.afterProvisioningStep?.("database", id);

    // Step 3: the owner, new or signed in, and the owner membership; or, for an operator's
    // org, the invitation of its first owner (an org without members until it is accepted).
    await owner.seat(id, now);
    await hooks.afterProvisioningStep?.("owner", id);

    // Step 4: active, unless a rollback decided first (handled below).
    if (await decideOutcome(db.master, id, "active", deps.now()) !== "active") {
      throw new RolledBack();
    }
    await hooks.afterProvisioningStep?.("decided", id);
    return await owner.announce(await activated(deps, id, schemaVersion));
  } catch (e) {
    return await abandonProvisioning(deps, doc, e, () => owner.unseat(id));
  }
}

/** Step 4's end: the org made active, by this request or by the reconciler that found it decided. */
async function activated(deps: Deps, id: string, schemaVersion: number): Promise<Org> {
  const active = await activateOrg(deps.db.master, id, deps.now(), schemaVersion);
  if (active) return active;
  // Not provisioning any more: the reconciler found the outcome decided and finished the
  // activation itself, or a rollback that decided first is done and the org is gone.
  const current = await findOrgById(deps.db.master, id);
  if (current?.status !== "active") throw new RolledBack();
  return current;
}

/**
 * Apply the tenant migrations a live org's database lacks (made before they existed). Should
 * the org be deleted meanwhile, the migrations' writes create its database again; the marker
 * (written first, migration 002) lets the reconciler drop that one.
 */
export async function upgradeTenant(deps: Deps, org: Org): Promise<void> {
  if (org.schemaVersion >= LATEST_SCHEMA_VERSION) return;
  const version = await migrateTenant(deps.db.tenantDb(org), ownerOf(deps, org.id), deps.log);
  await setSchemaVersion(deps.db.master, org.id, version, deps.now());
}
