/** Aggregation over an org's collection: allowed stages only, bounded in results and bytes. */
import { BSON, type Document } from "mongodb";
import { resultTooLarge } from "../platform/errors.ts";
import { ownCollection } from "./collections.ts";
import { runQuery } from "./driver.ts";
import { sanitizePipeline, STAMP } from "./sanitize.ts";
import { type DataScope, forReading } from "./scope.ts";
import { toWire } from "./wire.ts";

export const MAX_AGGREGATE_RESULTS = 1000;
/** Bytes (BSON, as the driver hands them) of one aggregation's results. */
export const MAX_AGGREGATE_BYTES = 16 * 1024 * 1024;
/** Results a cursor batch of an aggregation holds, so its byte count is checked as it goes. */
const AGGREGATE_BATCH = 100;

/**
 * Run an allowed pipeline; at most 1,000 results and `MAX_AGGREGATE_BYTES` of them, within the
 * configured time limit. The results are read through a cursor in batches of
 * `AGGREGATE_BATCH` and counted in bytes as the driver hands them; past the bound the cursor
 * is closed (the server stops) and the answer is 400 `result_too_large`.
 */
export async function aggregate(
  scope: DataScope,
  name: string,
  pipeline: unknown,
): Promise<{ items: Record<string, unknown>[] }> {
  scope = await forReading(scope);
  const stages = sanitizePipeline(pipeline);
  const col = await ownCollection(scope.deps, scope.org, name);
  const maxTimeMS = scope.deps.config.dataMaxTimeMs;
  const rows = await runQuery("invalid_pipeline", maxTimeMS, async () => {
    const cursor = col.aggregate([...stages, { $limit: MAX_AGGREGATE_RESULTS }], {
      maxTimeMS,
      batchSize: AGGREGATE_BATCH,
    });
    try {
      const rows: Document[] = [];
      let bytes = 0;
      for await (const row of cursor) {
        bytes += BSON.calculateObjectSize(row);
        if (bytes > MAX_AGGREGATE_BYTES) throw resultTooLarge(MAX_AGGREGATE_BYTES);
        rows.push(row);
      }
      return rows;
    } finally {
      await cursor.close();
    }
  });
  return {
    items: rows.map((r) => {
      const { [STAMP]: _, ...rest } = r;
      return toWire(rest) as Record<string, unknown>;
    }),
  };
}
