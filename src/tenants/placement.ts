/**
 * Placement (docs/architecture.md, "Tenant migrations and deployments"): a new org goes to the
 * cluster an operator names, else to the one holding the fewest orgs.
 */
import { type Database, DEFAULT_CLUSTER } from "../platform/db.ts";
import { invalidField } from "../platform/errors.ts";
import { countOrgsInCluster } from "./orgs.ts";

/** The configured clusters, `default` first, then by name. */
export function clusterNames(db: Database): string[] {
  return Object.keys(db.clients).sort((a, b) =>
    a === DEFAULT_CLUSTER ? -1 : b === DEFAULT_CLUSTER ? 1 : a < b ? -1 : a > b ? 1 : 0
  );
}

/** 400 `validation_failed` unless `cluster` is a configured cluster. */
export function assertKnownCluster(db: Database, cluster: string, path = "cluster"): void {
  if (Object.hasOwn(db.clients, cluster)) return;
  const message = `Unknown cluster; configured: ${clusterNames(db).join(", ")}`;
  throw invalidField(path, message);
}

/** Orgs per cluster, counted from the master `orgs` collection. */
export async function orgCountsByCluster(db: Database): Promise<Map<string, number>> {
  const names = clusterNames(db);
  const counts = await Promise.all(names.map((n) => countOrgsInCluster(db.master, n)));
  return new Map(names.map((n, i) => [n, counts[i]]));
}

/**
 * The cluster for a new org: `requested` when given (it must be configured), else the one
 * with the fewest orgs (ties: `default` first, then by name). With one cluster, no query.
 */
export async function chooseCluster(db: Database, requested?: string): Promise<string> {
  if (requested !== undefined) {
    assertKnownCluster(db, requested);
    return requested;
  }
  const names = clusterNames(db);
  if (names.length === 1) return names[0];
  let best = names[0];
  let fewest = Infinity;
  for (const [name, n] of await orgCountsByCluster(db)) {
    if (n < fewest) [best, fewest] = [name, n];
  }
  return best;
}
