/** Values of the configuration that need more than a zod schema to check (src/platform/config.ts). */

/** `https://app.example.com` or `http://localhost:5173`: an origin as a browser sends it. */
export function isExactOrigin(value: string): boolean {
  // Host names of letters, digits, dots and hyphens, or a bracketed IPv6 address; no wildcard.
  if (!/^https?:\/\/([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?$/.test(value)) return false;
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}

const CLUSTER_NAME = /^[a-z][a-z0-9_-]{0,31}$/;
const MONGO_URL = /^mongodb(\+srv)?:\/\//;

/** `MONGO_CLUSTERS`: a JSON object of cluster names (not `default`) to MongoDB URIs. */
export function parseClusters(raw: string | undefined, problems: string[]): Record<string, string> {
  if (raw === undefined) return {};
  const fail = (why: string) => {
    problems.push(`MONGO_CLUSTERS: ${why}`);
    return {};
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return fail("must be a JSON object of cluster names to MongoDB URIs");
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    return fail("must be a JSON object of cluster names to MongoDB URIs");
  }
  const clusters: Record<string, string> = {};
  for (const [name, uri] of Object.entries(parsed)) {
    if (name === "default") return fail("`default` is MONGO_URI; name the others");
    if (!CLUSTER_NAME.test(name)) {
      return fail(`name ${JSON.stringify(name)} must match ${CLUSTER_NAME.source}`);
    }
    if (typeof uri !== "string" || !MONGO_URL.test(uri)) {
      return fail(`${name} must be a URI starting with mongodb:// or mongodb+srv://`);
    }
    clusters[name] = uri;
  }
  return clusters;
}
