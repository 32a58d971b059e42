/**
 * The collections the service itself keeps in an org's database. The document API refuses these
 * names (and every name starting with `_` or `system`), so a tenant can neither read nor forge
 * them. Both spellings of the audit log are listed: `audit_log` until the migration that
 * renames it to `_audit_log` has run on every org.
 */
export const SERVICE_COLLECTIONS: readonly string[] = [
  "_meta",
  "audit_log",
  "_audit_log",
  "_usage",
];

export const isServiceCollection = (name: string) => SERVICE_COLLECTIONS.includes(name);
