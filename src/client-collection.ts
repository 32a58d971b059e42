/**
 * A typed view of one collection over the typed client, for a document type the caller
 * declares (documents are `Record<string, unknown>` on the wire). Browser-safe: it imports only
 * types from the server.
 *
 * @example
 * interface Customer { name: string; email: string; tags?: string[] }
 * const customers = collection<Customer>(api, "acme-corp", "customers");
 * const ada = await customers.insert({ name: "Ada", email: "ada@example.com" });
 * await customers.update(ada._id, { tags: ["vip"] });
 * const { items, nextCursor } = await customers.list({ filter: { tags: "vip" }, sort: "name" });
 */
import type { hc } from "hono/client";
import type { AppType } from "./app.ts";
import { parseProblem, type ResponseLike } from "./client-problem.ts";

/** The typed client (the type `createClient` in `src/client.ts` returns), named without it. */
type AppClient = ReturnType<typeof hc<AppType>>;

/** A stored document: the caller's fields plus the server's `_id`. */
export type Stored<T> = T & { _id: string };

/** What a failed call answered: the problem's status and stable `code`. */
export class CollectionError extends Error {
  override name = "CollectionError";
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** An unexpected answer as a CollectionError: its problem's code, or `unknown` without one. */
async function fail(res: ResponseLike): Promise<never> {
  const problem = parseProblem(await res.text().catch(() => ""));
  throw new CollectionError(
    res.status,
    problem?.code ?? "unknown",
    problem?.detail || res.statusText,
  );
}

export interface ListOptions {
  /** A filter object (field paths and the allowed operators). */
  filter?: Record<string, unknown>;
  /** Up to three fields, `-` for descending: `"-createdAt,name"`. */
  sort?: string;
  /** Fields to return (`"name,email"`) or leave out (`"-payload"`). */
  fields?: string;
  limit?: number;
  cursor?: string;
}

/** Typed insert/get/list/update/remove on the collection `name` of the org `slug`. */
export function collection<T extends Record<string, unknown>>(
  client: AppClient,
  slug: string,
  name: string,
) {
  const docs = client.v1.orgs[":slug"].collections[":name"].documents;
  const param = { slug, name };
  return {
    async insert(doc: T): Promise<Stored<T>> {
      const res = await docs.$post({ param, json: doc });
      if (res.status !== 201) return await fail(res);
      return await res.json() as Stored<T>;
    },
    /** The document, or null when there is none with this id. */
    async get(id: string): Promise<Stored<T> | null> {
      const res = await docs[":documentId"].$get({
        param: { ...param, documentId: id },
        header: {},
      });
      if ((res.status as number) === 404) return null;
      if (res.status !== 200) return await fail(res);
      return await res.json() as Stored<T>;
    },
    async list(opts: ListOptions = {}): Promise<{ items: Stored<T>[]; nextCursor: string | null }> {
      const res = await docs.$get({
        param,
        query: {
          ...(opts.filter ? { filter: JSON.stringify(opts.filter) } : {}),
          ...(opts.sort ? { sort: opts.sort } : {}),
          ...(opts.fields ? { fields: opts.fields } : {}),
          ...(opts.limit ? { limit: String(opts.limit) } : {}),
          ...(opts.cursor ? { cursor: opts.cursor } : {}),
        },
      });
      if (res.status !== 200) return await fail(res);
      const page = await res.json();
      return { items: page.items as Stored<T>[], nextCursor: page.nextCursor };
    },
    /** Set the given fields (`null` unsets; dotted paths set nested fields). */
    async update(
      id: string,
      patch: Partial<T> | Record<string, unknown>,
      opts: { ifMatch?: string } = {},
    ): Promise<Stored<T>> {
      const res = await docs[":documentId"].$patch({
        param: { ...param, documentId: id },
        header: opts.ifMatch ? { "if-match": opts.ifMatch } : {},
        json: patch as Record<string, unknown>,
      });
      if (res.status !== 200) return await fail(res);
      return await res.json() as Stored<T>;
    },
    async remove(id: string, opts: { ifMatch?: string } = {}): Promise<void> {
      const res = await docs[":documentId"].$delete({
        param: { ...param, documentId: id },
        header: opts.ifMatch ? { "if-match": opts.ifMatch } : {},
      });
      if (res.status !== 204) return await fail(res);
    },
  };
}

export type TypedCollection<T extends Record<string, unknown>> = ReturnType<typeof collection<T>>;
