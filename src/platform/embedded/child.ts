/** Small helpers for the child processes this project starts (FerretDB, and services in tools). */

/** SIGTERM, then SIGKILL if the child has not exited after `graceMs`; resolves when it has. */
export async function terminate(
  child: Deno.ChildProcess,
  graceMs: number,
): Promise<Deno.CommandStatus> {
  const kill = (signal: Deno.Signal) => {
    try {
      child.kill(signal);
    } catch { /* already gone */ }
  };
  kill("SIGTERM");
  const timer = setTimeout(() => kill("SIGKILL"), graceMs);
  try {
    return await child.status;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Read `stream` to its end in the background, keeping its last `max` lines: a child's own log for
 * when something goes wrong, without flooding ours. `each`, if given, sees every line.
 */
export function keepTail(
  stream: ReadableStream<Uint8Array>,
  max: number,
  each?: (line: string) => void,
): () => string[] {
  const lines: string[] = [];
  (async () => {
    const decoder = new TextDecoder();
    let partial = "";
    for await (const chunk of stream) {
      const parts = (partial + decoder.decode(chunk, { stream: true })).split("\n");
      partial = parts.pop()!;
      const complete = parts.filter(Boolean);
      for (const line of complete) each?.(line);
      lines.push(...complete);
      if (lines.length > max) lines.splice(0, lines.length - max);
    }
    if (partial) {
      each?.(partial);
      lines.push(partial);
    }
  })().catch(() => {});
  return () => [...lines];
}
