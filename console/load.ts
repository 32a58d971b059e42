/** Loading what a view shows, with the problem of a failed load kept for display. */
import { useEffect, useState } from "hono/jsx/dom";
import type { Problem } from "../src/client.ts";
import { networkProblem } from "./problems.tsx";

export type Result<T> = { ok: true; data: T } | { ok: false; problem: Problem };

export const ok = <T>(data: T): Result<T> => ({ ok: true, data });
export const failed = (problem: Problem | null): Result<never> => ({
  ok: false,
  problem: problem ?? networkProblem("No answer"),
});

export interface Loaded<T> {
  data: T | null;
  problem: Problem | null;
  loading: boolean;
  reload: () => void;
}

/** Run `load` when the view mounts and whenever one of `keys` changes. */
export function useLoad<T>(load: () => Promise<Result<T>>, keys: unknown[]): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let current = true;
    setLoading(true);
    load().then(
      (r) => {
        if (!current) return;
        setData(r.ok ? r.data : null);
        setProblem(r.ok ? null : r.problem);
      },
      (e) => current && setProblem(networkProblem(e)),
    ).finally(() => current && setLoading(false));
    return () => {
      current = false;
    };
  }, [...keys, generation]);
  return { data, problem, loading, reload: () => setGeneration((g) => g + 1) };
}
