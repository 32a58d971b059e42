/** Test support for the document API: an org with a collection, and raw reads of its database. */
import type { Document } from "mongodb";
import { createOrgAndLogin, type TestApp } from "./app.ts";

export type OrgLogin = Awaited<ReturnType<typeof createOrgAndLogin>>;

/** The typed client of one org's collections (`param: { slug, name }` picks one). */
export function docsOf(t: TestApp, who: OrgLogin) {
  return t.client(who.token).v1.orgs[":slug"].collections[":name"];
}

/** Create a collection through the API (optionally with indexes); throws unless 201. */
export async function createCollection(
  t: TestApp,
  who: OrgLogin,
  name: string,
  indexes?: { fields: Record<string, 1 | -1>; unique?: boolean }[],
) {
  const res = await t.client(who.token).v1.orgs[":slug"].collections.$post({
    param: { slug: who.org.slug },
    json: { name, ...(indexes ? { indexes } : {}) },
  });
  if (res.status !== 201) throw new Error(`create collection: ${res.status} ${await res.text()}`);
  return await res.json();
}

/** Everything in the org's database, collection by collection, straight from the driver. */
export async function snapshot(t: TestApp, who: OrgLogin): Promise<Record<string, Document[]>> {
  const db = await tenantDbOf(t, who);
  const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name)
    .filter((n) => n !== "_usage").sort();
  const out: Record<string, Document[]> = {};
  for (const n of names) out[n] = await db.collection(n).find().sort({ _id: 1 }).toArray();
  return out;
}

/** The org's own database, for checks the API cannot make. */
export async function tenantDbOf(t: TestApp, who: OrgLogin) {
  const org = await t.deps.db.master.collection("orgs").findOne({ slug: who.org.slug });
  if (!org) throw new Error("no such org");
  return t.deps.db.tenantDb({ cluster: org.cluster, databaseName: org.databaseName });
}
