import { createIndex, dropIndex, listIndexes } from "../../data/indexes.ts";
import { dataScope } from "../../http/context.ts";
import type { AppRouteHandler } from "../../http/router.ts";
import type * as routes from "./indexes.routes.ts";

export const list: AppRouteHandler<typeof routes.list> = async (c) =>
  c.json(await listIndexes(dataScope(c), c.req.valid("param").name), 200);

export const create: AppRouteHandler<typeof routes.create> = async (c) =>
  c.json(await createIndex(dataScope(c), c.req.valid("param").name, c.req.valid("json")), 201);

export const drop: AppRouteHandler<typeof routes.drop> = async (c) => {
  const { name, index } = c.req.valid("param");
  await dropIndex(dataScope(c), name, index);
  return c.body(null, 204);
};
