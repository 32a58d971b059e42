import { createCollection, dropCollection, listCollections } from "../../data/collections.ts";
import { dataScope } from "../../http/context.ts";
import type { AppRouteHandler } from "../../http/router.ts";
import type * as routes from "./collections.routes.ts";

export const list: AppRouteHandler<typeof routes.list> = async (c) =>
  c.json(await listCollections(dataScope(c)), 200);

export const create: AppRouteHandler<typeof routes.create> = async (c) =>
  c.json(await createCollection(dataScope(c), c.req.valid("json")), 201);

export const drop: AppRouteHandler<typeof routes.drop> = async (c) => {
  await dropCollection(dataScope(c), c.req.valid("param").name);
  return c.body(null, 204);
};
