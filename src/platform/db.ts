/**
 * MongoDB clusters: one `MongoClient` (one connection pool) per cluster, shared by the
 * master database and every tenant database on it.
 */
import {
  type Collection,
  type Db,
  type Document,
  MongoClient,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoOperationTimeoutError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from "mongodb";
import { withTimeout } from "./async.ts";
import { unavailable } from "./errors.ts";
import type { Logger } from "./log.ts";

export const DEFAULT_CLUSTER = "default";

export interface Database {
  /** Cluster name → client. The master database lives on `default`. */
  clients: Record<string, MongoClient>;
  master: Db;
  /** Resolve an org's own database on the cluster that holds it. */
  tenantDb(org: { cluster: string; databaseName: string }): Db;
  close(): Promise<void>;
}

export function connectDatabase(
  opts: { uri: string; clusters?: Record<string, string>; masterDb: string; timeoutMs: number },
): Database {
  // The driver connects lazily and reconnects by itself after an outage, so a server that is
  // down at start makes /ready answer 503 rather than the process fail.
  const connect = (uri: string) =>
    new MongoClient(uri, {
      serverSelectionTimeoutMS: opts.timeoutMs,
      connectTimeoutMS: opts.timeoutMs,
      // A server that stops answering mid-operation (paused, partitioned) frees the request
      // after this; one that goes away closes the socket and fails the request at once.
      socketTimeoutMS: opts.timeoutMs * 2,
      appName: "orgservice",
    });
  const clients: Record<string, MongoClient> = { [DEFAULT_CLUSTER]: connect(opts.uri) };
  for (const [name, uri] of Object.entries(opts.clusters ?? {})) clients[name] = connect(uri);
  // `client.db()` copies the client's options into every `Db` it makes, a cost the document
  // API's requests would pay each time: one `Db` per org object (a cached org is one object for
  // the cache period), kept no longer than the object is, and remade if its placement differs.
  const dbs = new WeakMap<object, { cluster: string; databaseName: string; db: Db }>();
  return {
    clients,
    master: clients[DEFAULT_CLUSTER].db(opts.masterDb),
    tenantDb(org) {
      const known = dbs.get(org);
      if (known?.cluster === org.cluster && known.databaseName === org.databaseName) {
        return known.db;
      }
      const c = clients[org.cluster];
      if (!c) throw new Error(`Unknown cluster ${org.cluster}`);
      const db = c.db(org.databaseName);
      dbs.set(org, { cluster: org.cluster, databaseName: org.databaseName, db });
      return db;
    },
    async close() {
      await Promise.all(Object.values(clients).map((c) => c.close()));
    },
  };
}

/**
 * Server errors that mean "stopping, stepping down or restarted; try again" (CursorNotFound: the
 * server restarted under a cursor).
 */
const TRANSIENT = {
  HostUnreachable: 6,
  HostNotFound: 7,
  CursorNotFound: 43,
  NetworkTimeout: 89,
  ShutdownInProgress: 91,
  PrimarySteppedDown: 189,
  SocketException: 9001,
  NotWritablePrimary: 10107,
  InterruptedAtShutdown: 11600,
  InterruptedDueToReplStateChange: 11602,
  NotPrimaryNoSecondaryOk: 13435,
  NotPrimaryOrSecondary: 13436,
} as const;
const TRANSIENT_CODES = new Set<number>(Object.values(TRANSIENT));

/** True for errors that mean "the database cannot be reached right now" (answer 503). */
export function isUnavailable(e: unknown): boolean {
  if (e instanceof MongoServerError) {
    // FerretDB v1 answers InternalError with the Go error of an operation cut off by its own
    // shutdown or its PostgreSQL's (a canceled context, a connection ended by the server's
    // shutdown or refused while it is down).
    return TRANSIENT_CODES.has(Number(e.code)) || (e.code === ServerErrorCode.InternalError &&
      /context canceled|SQLSTATE 57P0[1-3]|conn closed|failed to connect to/.test(e.message));
  }
  return e instanceof MongoNetworkError || e instanceof MongoServerSelectionError ||
    e instanceof MongoTopologyClosedError || e instanceof MongoNotConnectedError ||
    e instanceof MongoOperationTimeoutError || isSocketGone(e);
}

/**
 * A write to a connection the server has just closed can surface as the socket's own error
 * ("This socket has been ended by the other party", EPIPE) rather than a driver error class.
 */
function isSocketGone(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return e instanceof Error && (code === "EPIPE" || code === "ECONNRESET" ||
    /socket has been ended by the other party/.test(e.message));
}

/**
 * The server's error codes the service tells apart, by MongoDB's names (FerretDB answers the
 * same ones). Everywhere else a code is named by its predicate below, never by its number; the
 * document API's list of "bad input" codes is src/data/refusals.ts.
 */
export const ServerErrorCode = {
  InternalError: 1,
  NamespaceNotFound: 26,
  IndexNotFound: 27,
  NamespaceExists: 48,
  MaxTimeMSExpired: 50,
  IndexAlreadyExists: 68,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  NotImplemented: 238,
  DuplicateKey: 11000,
} as const;

const hasCode = (e: unknown, name: keyof typeof ServerErrorCode): boolean =>
  e instanceof MongoServerError && (e.code === ServerErrorCode[name] || e.codeName === name);

/** A unique index refused the write (E11000). */
export const isDuplicateKey = (e: unknown): boolean =>
  e instanceof MongoServerError && e.code === ServerErrorCode.DuplicateKey;

/** The collection (or database) named is not there: dropped, or never made. */
export const isNamespaceNotFound = (e: unknown): boolean => hasCode(e, "NamespaceNotFound");

/** The collection to create is there already. */
export const isNamespaceExists = (e: unknown): boolean => hasCode(e, "NamespaceExists");

/** The server lacks the feature (FerretDB v1: TTL indexes, `$avg`, `$push`...). */
export const isNotImplemented = (e: unknown): boolean => hasCode(e, "NotImplemented");

/** The index named is not there (dropped meanwhile). */
export const isIndexNotFound = (e: unknown): boolean => hasCode(e, "IndexNotFound");

/** An index to create clashes with one there: the same name, or the same key. */
export const isIndexClash = (e: unknown): boolean =>
  hasCode(e, "IndexAlreadyExists") || hasCode(e, "IndexOptionsConflict") ||
  hasCode(e, "IndexKeySpecsConflict");

/**
 * The collection was dropped while the read ran: FerretDB v1 (on PostgreSQL) answers an
 * InternalError carrying PostgreSQL's "relation does not exist" (SQLSTATE 42P01) where MongoDB
 * answers as if the collection were empty. Read again: the collection is then gone.
 */
export const isDroppedMidRead = (e: unknown): boolean =>
  e instanceof MongoServerError && e.code === ServerErrorCode.InternalError &&
  /\bSQLSTATE 42P01\b/.test(e.message);

/** The operation ran past its `maxTimeMS`. */
export const isTimedOut = (e: unknown): boolean => hasCode(e, "MaxTimeMSExpired");

/**
 * A unique index build refused because documents repeat a key: MongoDB's 11000, and FerretDB
 * v1's InternalError carrying PostgreSQL's unique violation (SQLSTATE 23505).
 */
export function isUniqueBuildRefused(e: unknown): boolean {
  return isDuplicateKey(e) ||
    (e instanceof MongoServerError && e.code === 1 && /\bSQLSTATE 23505\b/.test(e.message));
}

/**
 * Create a TTL index where the server supports it. FerretDB v1 answers NotImplemented; there
 * the sweeper (src/ops/maintenance.ts) deletes expired documents, and every query ignores them anyway.
 */
export async function ensureTtlIndex<T extends Document>(
  col: Collection<T>,
  field: string,
  log?: Logger,
): Promise<void> {
  try {
    await col.createIndex({ [field]: 1 }, { expireAfterSeconds: 0, name: `${field}_ttl` });
  } catch (e) {
    if (isNotImplemented(e)) {
      log?.debug("ttl index not supported by this server; the sweeper expires documents", {
        collection: col.collectionName,
      });
      return;
    }
    throw e;
  }
}

/** Ping every cluster; resolves false if any does not answer within `timeoutMs`. */
export async function pingAll(db: Database, timeoutMs: number): Promise<boolean> {
  const pings = Promise.all(
    Object.values(db.clients).map((c) => c.db("admin").command({ ping: 1 })),
  ).then(() => true, () => false);
  return await withTimeout(pings, timeoutMs) ?? false;
}

/** 503 `unavailable` unless every cluster answers ping in time (at most two seconds). */
export async function assertReady(db: Database, timeoutMs: number): Promise<void> {
  if (!await pingAll(db, Math.min(timeoutMs, 2000))) {
    throw unavailable("The database does not answer");
  }
}
