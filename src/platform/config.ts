/**
 * Configuration: the environment parsed once by zod. `loadConfig` never reads `Deno.env`
 * itself; `src/main.ts` passes the environment in, so tests can build any configuration.
 */
import { z } from "zod";
import { invalidProxyEntries } from "./addresses.ts";
import { isExactOrigin, parseClusters } from "./config-values.ts";
import { toHex } from "./encoding.ts";

const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = typeof LOG_LEVELS[number];

/** No control characters (CR and LF above all): such a value could never start a mail header. */
const NO_CONTROL = /^[^\p{Cc}]*$/u;

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const schema = z.object({
  APP_ENV: z.enum(["development", "production"]).default("development"),
  PORT: int(0, 65535).default(8000),
  HOST: z.string().min(1).default("0.0.0.0"),
  MONGO_URI: z.string().regex(
    /^mongodb(\+srv)?:\/\//,
    "must start with mongodb:// or mongodb+srv://",
  )
    .optional(),
  MONGO_CLUSTERS: z.string().optional(),
  MASTER_DB: z.string().regex(/^[A-Za-z0-9_-]{1,63}$/, "must match ^[A-Za-z0-9_-]{1,63}$")
    .default("orgservice"),
  TENANT_DB_PREFIX: z.string().regex(/^[A-Za-z0-9_-]{1,30}$/, "must match ^[A-Za-z0-9_-]{1,30}$")
    .default("org_"),
  DATA_DIR: z.string().min(1).default(".data"),
  JWT_SECRET: z.string().optional(),
  ACCESS_TOKEN_TTL_SECONDS: int(60, 86_400).default(900),
  REFRESH_TOKEN_TTL_DAYS: int(1, 365).default(30),
  BCRYPT_COST: int(4, 15).default(12),
  HASH_WORKERS: int(1, 64).optional(),
  HASH_QUEUE_LIMIT: int(0, 100_000).default(64),
  LOG_LEVEL: z.enum(LOG_LEVELS).default("info"),
  BODY_LIMIT_BYTES: int(1024, 64 * 1024 * 1024).default(1024 * 1024),
  DB_TIMEOUT_MS: int(100, 60_000).default(5000),
  AUTH_CACHE_TTL_MS: int(0, 5000).default(5000),
  ORG_CREATION: z.enum(["open", "operators"]).default("open"),
  ORG_CREATE_LIMIT: int(0, 1_000_000).default(20),
  LOGIN_EMAIL_LIMIT: int(1, 1_000_000).default(5),
  LOGIN_ADDRESS_LIMIT: int(1, 1_000_000).default(50),
  INVITATION_LIMIT: int(0, 1_000_000).default(100),
  RECONCILE_INTERVAL_SECONDS: int(1, 3600).default(60),
  PROVISIONING_GRACE_SECONDS: int(0, 3600).default(60),
  AUDIT_RETENTION_DAYS: int(1, 3650).default(365),
  INVITATION_TTL_DAYS: int(1, 90).default(7),
  PASSWORD_RESET_TTL_MINUTES: int(5, 1440).default(60),
  REQUIRE_VERIFIED_EMAIL: z.enum(["0", "1"]).default("0"),
  TRUSTED_PROXIES: z.string().default(""),
  CORS_ORIGINS: z.string().default(""),
  EMBEDDED_DATABASE: z.enum(["0", "1"]).default("0"),
  DATA_MAX_COLLECTIONS: int(1, 100_000).default(100),
  DATA_MAX_DOCUMENTS: int(1, 1_000_000_000).default(1_000_000),
  DATA_MAX_DOCUMENT_BYTES: int(1024, 16 * 1024 * 1024).default(256 * 1024),
  DATA_MAX_TIME_MS: int(100, 600_000).default(10_000),
  MAIL: z.enum(["on", "off"]).default("on"),
  // Checked in `mailConfig`, so that a bad value is named without being echoed (a password).
  SMTP_URL: z.string().optional(),
  MAIL_FROM: z.string().optional(),
  PUBLIC_URL: z.string().optional(),
  OUTBOX_LEASE_SECONDS: int(1, 3600).default(120),
  WEBHOOK_ALLOW_PRIVATE: z.enum(["0", "1"]).default("0"),
  WEBHOOK_RETRY_SCALE: z.coerce.number().min(0.00001).max(1).default(1),
  SERVICE_NAME: z.string().regex(NO_CONTROL, "must not hold control characters").max(100)
    .default("Org Service"),
});

export type Env = Record<string, string | undefined>;

export interface Config {
  env: "development" | "production";
  port: number;
  host: string;
  /** Unset: start the embedded database (FerretDB on PostgreSQL). */
  mongoUri?: string;
  /**
   * More clusters for tenant databases, name → URI (`MONGO_CLUSTERS`); the `default` one is
   * `mongoUri` and holds the master database.
   */
  clusters: Record<string, string>;
  masterDb: string;
  tenantDbPrefix: string;
  dataDir: string;
  jwtSecret: string;
  /** True when the secret was generated for this process (development only). */
  jwtSecretGenerated: boolean;
  accessTokenTtlSeconds: number;
  refreshTokenTtlDays: number;
  bcryptCost: number;
  hashWorkers: number;
  /** Password jobs that may wait for a worker; past it, 503 `overloaded`. */
  hashQueueLimit: number;
  logLevel: LogLevel;
  bodyLimitBytes: number;
  dbTimeoutMs: number;
  authCacheTtlMs: number;
  orgCreation: "open" | "operators";
  /**
   * Org creations per hour: unauthenticated ones per client address, signed-in ones per user
   * (operators exempt); 0: no limit.
   */
  orgCreateLimit: number;
  /** Wrong passwords per email within 15 minutes before sign-in answers 429. */
  loginEmailLimit: number;
  /** Wrong passwords per client address within 15 minutes before sign-in answers 429. */
  loginAddressLimit: number;
  /** Invitations an org may create per hour; 0: no limit. */
  invitationLimit: number;
  reconcileIntervalSeconds: number;
  provisioningGraceSeconds: number;
  auditRetentionDays: number;
  invitationTtlDays: number;
  /** How long a password reset link works (minutes). */
  passwordResetTtlMinutes: number;
  /** Unverified users' right passwords answer 403 `email_unverified` instead of tokens. */
  requireVerifiedEmail: boolean;
  /** Addresses and CIDR ranges of proxies whose X-Forwarded-For is believed ("*": any peer). */
  trustedProxies: string[];
  /**
   * Origins whose browser pages may call the API (`CORS_ORIGINS`): exact origins such as
   * `https://app.example.com`, or `["*"]` for any; empty: none (same-origin pages only).
   */
  corsOrigins: string[];
  /** Default quotas of an org's own database; an org may carry its own (`Org.quotas`). */
  dataQuotas: DataQuotas;
  /** Server-side time limit of a document query, count or aggregation. */
  dataMaxTimeMs: number;
  mail: MailConfig;
  /**
   * How long an outbox sender holds an item it is sending; an instance that dies holding it
   * delays it this long. SMTP timeouts are a quarter of it (at most 30 s).
   */
  outboxLeaseSeconds: number;
  webhooks: WebhookConfig;
}

/** Webhook delivery (src/events/deliveries.ts). */
export interface WebhookConfig {
  /**
   * `WEBHOOK_ALLOW_PRIVATE=1` (development and tests only; refused in production): endpoint URLs
   * may name loopback, private and other non-public addresses.
   */
  allowPrivate: boolean;
  /** `http://` endpoints too (everywhere but production). */
  allowHttp: boolean;
  /**
   * Test-only `WEBHOOK_RETRY_SCALE` (0 < scale ≤ 1, default 1; must be 1 in production): every
   * wait of the retry schedule is multiplied by it, so that tests see retries in milliseconds.
   */
  retryScale: number;
}

/**
 * How mail leaves the service (src/platform/mail.ts): `smtp` through `SMTP_URL`; `files`, in
 * development without `SMTP_URL`, as `.eml` files under `<DATA_DIR>/mail/`; `off` with `MAIL=off`.
 */
export interface MailConfig {
  mode: "smtp" | "files" | "off";
  /** `smtp://` (STARTTLS when offered) or `smtps://` (TLS from the start); holds a password. */
  smtpUrl?: string;
  /** The `From` of every mail. */
  from: { name?: string; address: string };
  /** The base of every link in a mail, without a trailing slash. */
  publicUrl: string;
  /** The service's name in subjects and bodies. */
  serviceName: string;
}

export interface DataQuotas {
  collections: number;
  documents: number;
  documentBytes: number;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Parse the environment; throws `ConfigError` naming every bad variable. */
export function loadConfig(env: Env): Config {
  // Empty strings count as unset, as most deployment tools write them for "no value".
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ""),
  );
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${lines.join("\n  ")}`);
  }
  const e = parsed.data;
  const problems: string[] = [];
  let jwtSecret = e.JWT_SECRET ?? "";
  let jwtSecretGenerated = false;
  const secretBytes = new TextEncoder().encode(jwtSecret).length;
  if (e.APP_ENV === "production") {
    if (secretBytes < 32) {
      problems.push("JWT_SECRET: must be set to at least 32 bytes in production");
    }
    if (e.BCRYPT_COST < 10) problems.push("BCRYPT_COST: must be at least 10 in production");
    if (e.WEBHOOK_ALLOW_PRIVATE === "1") {
      problems.push("WEBHOOK_ALLOW_PRIVATE: development and tests only, not in production");
    }
    if (e.WEBHOOK_RETRY_SCALE !== 1) {
      problems.push("WEBHOOK_RETRY_SCALE: tests only; must be 1 (or unset) in production");
    }
    // The embedded server is for development and small installs: production says so explicitly
    // rather than getting it because MONGO_URI was forgotten.
    if (!e.MONGO_URI && e.EMBEDDED_DATABASE !== "1") {
      problems.push(
        "MONGO_URI: must be set in production (or set EMBEDDED_DATABASE=1 to run the embedded " +
          "database)",
      );
    }
  } else if (!jwtSecret) {
    jwtSecret = randomSecret();
    jwtSecretGenerated = true;
  } else if (secretBytes < 32) {
    problems.push("JWT_SECRET: must be at least 32 bytes");
  }
  const clusters = parseClusters(e.MONGO_CLUSTERS, problems);
  const trustedProxies = e.TRUSTED_PROXIES.split(",").map((s) => s.trim()).filter(Boolean);
  const badProxies = invalidProxyEntries(trustedProxies);
  if (badProxies.length) {
    problems.push(
      `TRUSTED_PROXIES: not an address, a CIDR range or *: ${badProxies.join(", ").slice(0, 200)}`,
    );
  }
  const mail = mailConfig(e, problems);
  const corsOrigins = e.CORS_ORIGINS.split(",").map((s) => s.trim()).filter(Boolean);
  const badOrigins = corsOrigins.filter((o) => !isExactOrigin(o) && o !== "*");
  if (badOrigins.length) {
    problems.push(
      "CORS_ORIGINS: not an origin (scheme://host[:port], no path or trailing slash): " +
        badOrigins.join(", ").slice(0, 200),
    );
  } else if (corsOrigins.includes("*") && corsOrigins.length > 1) {
    problems.push("CORS_ORIGINS: * stands alone (it allows every origin)");
  }
  if (problems.length) {
    throw new ConfigError(`Invalid configuration:\n  ${problems.join("\n  ")}`);
  }
  return {
    env: e.APP_ENV,
    port: e.PORT,
    host: e.HOST,
    mongoUri: e.MONGO_URI,
    clusters,
    masterDb: e.MASTER_DB,
    tenantDbPrefix: e.TENANT_DB_PREFIX,
    dataDir: e.DATA_DIR,
    jwtSecret,
    jwtSecretGenerated,
    accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlDays: e.REFRESH_TOKEN_TTL_DAYS,
    bcryptCost: e.BCRYPT_COST,
    // One worker per core: bcrypt is the whole cost of a sign-in, and the event loop still
    // answers other requests while every worker hashes (the benchmark's scenario 7 holds
    // GET /health's p99 under 25 ms at full pool; docs/performance.md has the figures).
    hashWorkers: e.HASH_WORKERS ?? Math.max(1, navigator.hardwareConcurrency ?? 1),
    hashQueueLimit: e.HASH_QUEUE_LIMIT,
    logLevel: e.LOG_LEVEL,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    dbTimeoutMs: e.DB_TIMEOUT_MS,
    authCacheTtlMs: e.AUTH_CACHE_TTL_MS,
    orgCreation: e.ORG_CREATION,
    orgCreateLimit: e.ORG_CREATE_LIMIT,
    loginEmailLimit: e.LOGIN_EMAIL_LIMIT,
    loginAddressLimit: e.LOGIN_ADDRESS_LIMIT,
    invitationLimit: e.INVITATION_LIMIT,
    reconcileIntervalSeconds: e.RECONCILE_INTERVAL_SECONDS,
    provisioningGraceSeconds: e.PROVISIONING_GRACE_SECONDS,
    auditRetentionDays: e.AUDIT_RETENTION_DAYS,
    invitationTtlDays: e.INVITATION_TTL_DAYS,
    passwordResetTtlMinutes: e.PASSWORD_RESET_TTL_MINUTES,
    requireVerifiedEmail: e.REQUIRE_VERIFIED_EMAIL === "1",
    trustedProxies,
    corsOrigins,
    dataQuotas: {
      collections: e.DATA_MAX_COLLECTIONS,
      documents: e.DATA_MAX_DOCUMENTS,
      documentBytes: e.DATA_MAX_DOCUMENT_BYTES,
    },
    dataMaxTimeMs: e.DATA_MAX_TIME_MS,
    mail,
    outboxLeaseSeconds: e.OUTBOX_LEASE_SECONDS,
    webhooks: {
      allowPrivate: e.WEBHOOK_ALLOW_PRIVATE === "1",
      allowHttp: e.APP_ENV !== "production",
      retryScale: e.WEBHOOK_RETRY_SCALE,
    },
  };
}

/** An address as SMTP takes it: no spaces, no angle brackets, no control characters. */
const ADDRESS = /^[^\s<>@\p{Cc}]+@[^\s<>@\p{Cc}]+\.[^\s<>@\p{Cc}]+$/u;
/** `Name <address>` or a bare address. */
const FROM = /^(?:([^<>\p{Cc}]*?)\s*<([^<>]+)>|([^<>]+))$/u;

/** `MAIL`, `SMTP_URL`, `MAIL_FROM`, `PUBLIC_URL`, `SERVICE_NAME`; problems name the variable. */
function mailConfig(e: z.infer<typeof schema>, problems: string[]): MailConfig {
  const production = e.APP_ENV === "production";
  const off = e.MAIL === "off";
  let smtpUrl: string | undefined;
  if (e.SMTP_URL !== undefined) {
    // Never quote the value: it holds the SMTP password.
    let url: URL | undefined;
    try {
      url = new URL(e.SMTP_URL);
    } catch { /* reported below */ }
    if (!url || (url.protocol !== "smtp:" && url.protocol !== "smtps:") || !url.hostname) {
      problems.push("SMTP_URL: must be smtp://[user:password@]host[:port] or smtps://...");
    } else smtpUrl = e.SMTP_URL;
  } else if (production && !off) {
    problems.push("SMTP_URL: must be set in production (or set MAIL=off to send no mail)");
  }
  let from: MailConfig["from"] = { address: "noreply@localhost" };
  if (e.MAIL_FROM !== undefined) {
    const m = FROM.exec(e.MAIL_FROM.trim());
    const address = (m?.[2] ?? m?.[3] ?? "").trim();
    const name = m?.[1]?.trim().replace(/^"(.*)"$/, "$1");
    if (!m || !ADDRESS.test(address) || !NO_CONTROL.test(e.MAIL_FROM)) {
      problems.push('MAIL_FROM: must be an address or "Name <address>"');
    } else from = { ...(name ? { name } : {}), address };
  } else if (production && !off) {
    problems.push("MAIL_FROM: must be set in production (the sender of every mail)");
  }
  let publicUrl = `http://localhost:${e.PORT}`;
  if (e.PUBLIC_URL !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(e.PUBLIC_URL);
    } catch { /* reported below */ }
    if (
      !url || (url.protocol !== "http:" && url.protocol !== "https:") || url.search || url.hash ||
      url.username || url.password
    ) {
      problems.push("PUBLIC_URL: must be an http(s) URL without query, fragment or credentials");
    } else publicUrl = url.href.replace(/\/+$/, "");
  } else if (production && !off) {
    problems.push("PUBLIC_URL: must be set in production (the base of every link in a mail)");
  }
  return {
    mode: off ? "off" : smtpUrl ? "smtp" : "files",
    ...(smtpUrl ? { smtpUrl } : {}),
    from,
    publicUrl,
    serviceName: e.SERVICE_NAME,
  };
}

function randomSecret(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(32)));
}
