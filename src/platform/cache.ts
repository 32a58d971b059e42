/**
 * The per-instance cache of master data on the hot paths (token checks, `/v1/me`, org by slug).
 * Entries live at most `ttlMs` from the start of the load that read them (≤ 5 s: the contract's
 * bound for changes to reach every instance) and carry tags (`session:<id>`, `user:<id>`,
 * `org:<id>`, `apikey:<id>`); a change made on this instance forgets the tags it touches at once.
 * Concurrent misses for one key share one load.
 */
export interface Cache {
  get<T>(key: string, load: () => Promise<{ value: T; tags: string[] }>): Promise<T>;
  forget(...tags: string[]): void;
}

interface Entry {
  value: unknown;
  tags: string[];
  until: number;
}

/** A bound on entries, not an LRU: when full, start over. Simple, and never stale. */
const MAX_ENTRIES = 100_000;

export function createCache(ttlMs: number, clock: () => number = Date.now): Cache {
  const entries = new Map<string, Entry>();
  const loading = new Map<string, Promise<unknown>>();
  // Bumped by every forget: a load that began before a change is not cached after it.
  let epoch = 0;

  async function load<T>(key: string, loader: () => Promise<{ value: T; tags: string[] }>) {
    const started = epoch;
    // The bound counts from the start of the load: what it read may be as old as that, and a
    // slow load must not stretch how long a change elsewhere takes to show.
    const until = clock() + ttlMs;
    try {
      const { value, tags } = await loader();
      if (ttlMs > 0 && started === epoch && until > clock()) {
        if (entries.size >= MAX_ENTRIES) entries.clear();
        entries.set(key, { value, tags, until });
      }
      return value;
    } finally {
      loading.delete(key);
    }
  }

  return {
    get<T>(key: string, loader: () => Promise<{ value: T; tags: string[] }>): Promise<T> {
      const e = entries.get(key);
      if (e && e.until > clock()) return Promise.resolve(e.value as T);
      let p = loading.get(key) as Promise<T> | undefined;
      if (!p) {
        p = load(key, loader);
        loading.set(key, p);
      }
      return p;
    },
    forget(...tags) {
      epoch++;
      loading.clear();
      for (const [k, e] of entries) {
        if (e.tags.some((t) => tags.includes(t))) entries.delete(k);
      }
    },
  };
}

export const tag = {
  session: (id: string) => `session:${id}`,
  user: (id: string) => `user:${id}`,
  org: (id: string) => `org:${id}`,
  apiKey: (id: string) => `apikey:${id}`,
};
