/** What each scenario group of the bench is given: the service, its settings, the report. */
import type { Config } from "../../src/platform/config.ts";
import type { Child } from "./processes.ts";
import type { Row } from "./report.ts";
import type { Account } from "./seed.ts";

/** Durations and sample counts: short ones for `--quick`. */
export interface Timing {
  /** Rounds of the interleaved small-GET measurement. */
  rounds: number;
  /** Seconds each target is loaded per round. */
  sliceS: number;
  /** Warm-up seconds per target. */
  warmS: number;
  /** Seconds of each login load. */
  loginS: number;
  /** Creates per org-creation level. */
  samples: number;
}

export const TIMING: Record<"quick" | "full", Timing> = {
  quick: { rounds: 3, sliceS: 1, warmS: 1, loginS: 5, samples: 5 },
  full: { rounds: 5, sliceS: 2, warmS: 2, loginS: 15, samples: 20 },
};

export interface BenchContext {
  quick: boolean;
  timing: Timing;
  /** Whether scenario `n` was asked for (`--only=`; all when not given). */
  wanted(n: number): boolean;
  /** The service's configuration, as the child process reads it. */
  config: Config;
  /** The embedded database the service uses: its URI and FerretDB's process. */
  ferret: { uri: string; pid: number };
  /** The service under test (production mode). */
  service: Child;
  /**
   * A signed-up owner and their access token, signed in again at the start of each group: an
   * access token lives 15 minutes and a full run lasts longer.
   */
  account: Account;
  token: string;
  rows: Row[];
  notes: string[];
  // deno-lint-ignore no-explicit-any
  details: Record<string, any>;
  /** Run `cleanup` at the end of the bench (or on Ctrl-C), the last added first. */
  defer(cleanup: () => Promise<unknown>): void;
}

/** A scenario group: the scenario numbers it measures, and how. */
export interface ScenarioGroup {
  ids: number[];
  run(ctx: BenchContext): Promise<void>;
}
