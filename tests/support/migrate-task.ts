/**
 * `deno task migrate` (src/tasks/migrate.ts) with migrations a test adds after the service's
 * own, for tests/ops/migrate.test.ts to run as a child process. Set by the environment:
 *
 * - MIGRATE_UP_TO: the last version (default: one after the service's latest, L): migrations
 *   L+1..N named `test-N`, each counting its runs in the org's collection `vN` (so a test sees
 *   one that ran twice);
 * - a collection `poison` in an org's database makes every added migration fail there;
 * - GATE_FILE, GATE_AFTER: after GATE_AFTER runs, each waits until the file exists (to stop a
 *   run part-way, or hold orgs under its leases while another run starts), saying so on stderr;
 * - LEASE_MS: the per-org lease.
 */
import { main } from "../../src/tasks/migrate.ts";
import {
  LATEST_SCHEMA_VERSION,
  type Migration,
  MIGRATIONS,
} from "../../src/tenants/migrations/mod.ts";

const upTo = Number(Deno.env.get("MIGRATE_UP_TO") ?? LATEST_SCHEMA_VERSION + 1);
const gate = Deno.env.get("GATE_FILE");
const gateAfter = Number(Deno.env.get("GATE_AFTER") ?? 0);
const leaseMs = Deno.env.get("LEASE_MS") ? Number(Deno.env.get("LEASE_MS")) : undefined;

let runs = 0;
async function passGate(): Promise<void> {
  if (!gate || runs++ < gateAfter) return;
  console.error("waiting at the gate");
  for (;;) {
    try {
      await Deno.stat(gate);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const added: Migration[] = [];
for (let version = LATEST_SCHEMA_VERSION + 1; version <= upTo; version++) {
  added.push({
    version,
    name: `test-${version}`,
    async up(db) {
      if (await db.listCollections({ name: "poison" }, { nameOnly: true }).hasNext()) {
        throw new Error("poisoned for the test");
      }
      await passGate();
      await db.collection<{ _id: string; runs: number }>(`v${version}`).updateOne(
        { _id: "applied" },
        { $inc: { runs: 1 } },
        { upsert: true },
      );
    },
  });
}

Deno.exit(await main(Deno.args, { migrations: [...MIGRATIONS, ...added], leaseMs }));
