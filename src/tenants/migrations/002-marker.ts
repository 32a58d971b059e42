/**
 * 002: the owner marker `{ master, orgId }` in `_meta` (src/tenants/meta.ts). New orgs get it
 * first, before any other write to their database; this gives it to databases made before it
 * existed, so the reconciler can tell them from other masters' databases.
 */
import type { Migration } from "./migration.ts";
import { writeMarker } from "../meta.ts";

export const migration: Migration = {
  version: 2,
  name: "marker",
  async up(db, { owner }) {
    await writeMarker(db, owner);
  },
};
