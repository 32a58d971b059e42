/**
 * The org's own database over the typed client: the request handles, the types the data pages
 * show, and the JSON text the user types.
 */
import type { InferResponseType } from "hono/client";
import type { Problem } from "../src/client.ts";
import { api } from "./session.ts";

export const collections = api.v1.orgs[":slug"].collections;
export const documents = collections[":name"].documents;

export type Collection = InferResponseType<typeof collections.$get, 200>["items"][number];
export type Index = Collection["indexes"][number];
export type Doc = InferResponseType<typeof documents.$get, 200>["items"][number];

/** Only owners and admins create and drop collections (the server decides too). */
export const manages = (role: string) => role === "owner" || role === "admin";

/** What an editor's text becomes: a JSON object, or a problem to show under the editor. */
export function parseObject(
  text: string,
  what = "A document",
): { ok: true; value: Record<string, unknown> } | { ok: false; problem: Problem } {
  const local = (detail: string): { ok: false; problem: Problem } => ({
    ok: false,
    problem: {
      type: "about:blank",
      title: "Invalid JSON",
      status: 0,
      detail,
      code: "invalid_json",
    },
  });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return local(`This is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return local(`${what} is a JSON object, written between { and }.`);
  }
  return { ok: true, value: value as Record<string, unknown> };
}

/** A document's fields without its `_id`, as an editor shows them. */
export function editable(doc: Doc): string {
  const { _id: _, ...fields } = doc;
  return JSON.stringify(fields, null, 2);
}

/** One line of a document for a list: its fields, cut to a readable length. */
export function preview(doc: Doc, max = 160): string {
  const { _id: _, ...fields } = doc;
  const text = JSON.stringify(fields);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `email ↑, createdAt ↓` for an index's fields. */
export function indexLabel(index: Index): string {
  return Object.entries(index.fields).map(([f, d]) => `${f} ${d === -1 ? "↓" : "↑"}`).join(", ");
}
