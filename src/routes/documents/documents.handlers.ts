import { aggregate as runAggregate } from "../../data/aggregation.ts";
import {
  deleteDocument,
  getDocument,
  insertBatch,
  insertDocument,
  patchDocument,
  replaceDocument,
} from "../../data/documents.ts";
import { countDocuments, listDocuments } from "../../data/listing.ts";
import { dataScope } from "../../http/context.ts";
import type { AppRouteHandler } from "../../http/router.ts";
import type * as routes from "./documents.routes.ts";

export const insert: AppRouteHandler<typeof routes.insert> = async (c) => {
  const { slug, name } = c.req.valid("param");
  const { document, etag } = await insertDocument(dataScope(c), name, c.req.valid("json"));
  c.header("ETag", etag);
  c.header("Location", `/v1/orgs/${slug}/collections/${name}/documents/${document._id}`);
  return c.json(document, 201);
};

export const batch: AppRouteHandler<typeof routes.batch> = async (c) =>
  c.json(
    await insertBatch(dataScope(c), c.req.valid("param").name, c.req.valid("json").documents),
    201,
  );

export const list: AppRouteHandler<typeof routes.list> = async (c) =>
  c.json(await listDocuments(dataScope(c), c.req.valid("param").name, c.req.valid("query")), 200);

export const count: AppRouteHandler<typeof routes.count> = async (c) =>
  c.json(await countDocuments(dataScope(c), c.req.valid("param").name, c.req.valid("query")), 200);

export const aggregate: AppRouteHandler<typeof routes.aggregate> = async (c) =>
  c.json(
    await runAggregate(dataScope(c), c.req.valid("param").name, c.req.valid("json").pipeline),
    200,
  );

export const get: AppRouteHandler<typeof routes.get> = async (c) => {
  const { name, documentId } = c.req.valid("param");
  const { document, etag } = await getDocument(dataScope(c), name, documentId);
  c.header("ETag", etag);
  const known = c.req.valid("header")["if-none-match"];
  if (known !== undefined && known.split(",").some((t) => t.trim() === etag || t.trim() === "*")) {
    return c.body(null, 304);
  }
  return c.json(document, 200);
};

export const replace: AppRouteHandler<typeof routes.replace> = async (c) => {
  const { name, documentId } = c.req.valid("param");
  const { document, etag } = await replaceDocument(dataScope(c), name, {
    id: documentId,
    body: c.req.valid("json"),
    ifMatch: c.req.valid("header")["if-match"],
  });
  c.header("ETag", etag);
  return c.json(document, 200);
};

export const patch: AppRouteHandler<typeof routes.patch> = async (c) => {
  const { name, documentId } = c.req.valid("param");
  const { document, etag } = await patchDocument(dataScope(c), name, {
    id: documentId,
    body: c.req.valid("json"),
    ifMatch: c.req.valid("header")["if-match"],
  });
  c.header("ETag", etag);
  return c.json(document, 200);
};

export const remove: AppRouteHandler<typeof routes.remove> = async (c) => {
  const { name, documentId } = c.req.valid("param");
  await deleteDocument(dataScope(c), name, {
    id: documentId,
    ifMatch: c.req.valid("header")["if-match"],
  });
  return c.body(null, 204);
};
