/**
 * The OpenAPI document as test input: walk its operations, build minimal valid bodies, find
 * string fields, and fill path templates by parameter name.
 */
import { ObjectId } from "mongodb";
import { PASSWORD, type TestApp } from "./app.ts";

export type Schema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  enum?: string[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  items?: Schema;
  minItems?: number;
};
export type Parameter = { name: string; in: string; schema?: Schema };
export type Operation = {
  security?: unknown[];
  responses?: Record<string, unknown>;
  requestBody?: { content: Record<string, { schema: Schema }> };
  parameters?: Parameter[];
};
export type OpenApi = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
};

export const METHODS = ["get", "post", "put", "patch", "delete"];

/** The service's OpenAPI document, as clients read it. */
export async function openapi(app: TestApp): Promise<OpenApi> {
  return await (await app.request("/openapi.json")).json();
}

/** Each operation of the document: its template, method and operation object. */
export function* operations(
  doc: OpenApi,
): Generator<{ template: string; method: string; op: Operation }> {
  for (const [template, ops] of Object.entries(doc.paths)) {
    for (const method of METHODS.filter((m) => ops[m])) yield { template, method, op: ops[method] };
  }
}

function resolve(doc: OpenApi, s: Schema): Schema {
  if (!s.$ref) return s;
  return doc.components.schemas[s.$ref.replace("#/components/schemas/", "")];
}

/** Values a real client would send, by field name; otherwise built from the schema. */
const SAMPLES: Record<string, unknown> = {
  name: "Hijacked By B",
  new_organization_name: "Hijacked By B",
  organization_name: "Target Org",
  email: "attacker@example.com",
  role: "owner",
  password: PASSWORD,
  currentPassword: PASSWORD,
  newPassword: "another horse battery staple",
  org: "target-org",
};

/** A minimal valid body for `schema`: required fields only, sample values. */
export function sample(doc: OpenApi, schema: Schema, name = ""): unknown {
  const s = resolve(doc, schema);
  if (name in SAMPLES) return SAMPLES[name];
  if (s.enum) return s.enum[0];
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  if (type === "object" || s.properties) {
    const out: Record<string, unknown> = {};
    for (const key of s.required ?? []) out[key] = sample(doc, s.properties![key], key);
    return out;
  }
  // As few items as the schema allows: a list that must not be empty gets one.
  if (type === "array") {
    return Array.from({ length: s.minItems ?? 0 }, () => sample(doc, s.items ?? {}));
  }
  if (type === "integer" || type === "number") return 1;
  if (type === "boolean") return true;
  if (s.format === "email") return "attacker@example.com";
  return "x".repeat(Math.max(s.minLength ?? 1, 8));
}

/** Paths (as key lists) of every string field in `schema`, required or not. */
export function stringFields(doc: OpenApi, schema: Schema, prefix: string[] = []): string[][] {
  const s = resolve(doc, schema);
  if (s.properties) {
    return Object.entries(s.properties).flatMap(([k, v]) => stringFields(doc, v, [...prefix, k]));
  }
  const type = Array.isArray(s.type) ? s.type : [s.type];
  return type.includes("string") ? [prefix] : [];
}

/** A copy of `body` with `value` at `path`, creating objects on the way. */
export function withValue(body: unknown, path: string[], value: unknown): unknown {
  const copy = structuredClone(body) as Record<string, unknown>;
  let at = copy;
  for (const key of path.slice(0, -1)) {
    at[key] ??= {};
    at = at[key] as Record<string, unknown>;
  }
  at[path[path.length - 1]] = value;
  return copy;
}

/** `body` with every object on `path` filled in (required fields, sample values). */
export function withPath(doc: OpenApi, schema: Schema, body: unknown, path: string[]): unknown {
  const copy = structuredClone(body) as Record<string, unknown>;
  let at = copy;
  let s = resolve(doc, schema);
  for (const key of path.slice(0, -1)) {
    s = resolve(doc, s.properties![key]);
    at[key] ??= sample(doc, s);
    at = at[key] as Record<string, unknown>;
  }
  return copy;
}

/** The names of the `{parameters}` in `template`, in order. */
export function pathParameters(template: string): string[] {
  return [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
}

/** Every path parameter name the document uses. */
export function allPathParameters(doc: OpenApi): Set<string> {
  return new Set(Object.keys(doc.paths).flatMap(pathParameters));
}

/**
 * A stand-in for a path parameter no value was given for: an id that names nothing (a fresh
 * ObjectId for `id` and `…Id`), else a sample of the parameter's schema.
 */
function standIn(doc: OpenApi, op: Operation | undefined, name: string): string {
  if (name === "id" || name.endsWith("Id")) return new ObjectId().toHexString();
  const schema = op?.parameters?.find((p) => p.in === "path" && p.name === name)?.schema;
  return encodeURIComponent(String(sample(doc, schema ?? { type: "string" }, name)));
}

/**
 * `template` with each `{name}` replaced by `values[name]`, by name and never by position, so
 * a new parameter cannot take another's value; one without a value gets a stand-in.
 */
export function fillPath(
  doc: OpenApi,
  template: string,
  values: Record<string, string>,
  op?: Operation,
): string {
  return template.replace(
    /\{(\w+)\}/g,
    (_, name: string) => Object.hasOwn(values, name) ? values[name] : standIn(doc, op, name),
  );
}
