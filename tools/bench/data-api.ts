/** Scenario 5: the data API (get by id, filtered list). */
import type { BenchContext, ScenarioGroup } from "./context.ts";

function run(ctx: BenchContext): Promise<void> {
  ctx.rows.push({
    id: "5",
    name: "data API: get-by-id / filtered list",
    status: "skipped",
    reason: "not available yet (no data API routes in the service)",
  });
  return Promise.resolve();
}

export const dataApi: ScenarioGroup = { ids: [5], run };
