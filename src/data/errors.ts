/** The document API's errors (API.md, "Tenant data"). */
import { AppError } from "../errors.ts";

export const collectionNotFound = () =>
  new AppError(404, "collection_not_found", "Collection not found");

export const documentNotFound = () => new AppError(404, "document_not_found", "Document not found");

export const collectionExists = (name: string) =>
  new AppError(409, "collection_exists", `A collection named ${name} exists`);

/** A unique index refused the write; `extra` says where a batch stopped. */
export const duplicateKey = (extra: { index?: number; insertedIds?: string[] } = {}) =>
  new AppError(409, "duplicate_key", "A unique index already has this value", extra);

export const preconditionFailed = () =>
  new AppError(412, "precondition_failed", "The document changed since the If-Match tag");

export const quotaExceeded = (what: string, limit: number) =>
  new AppError(403, "quota_exceeded", `The organization's quota of ${limit} ${what} is reached`, {
    quota: what,
    limit,
  });

/** 400 `validation_failed` for one field of the request. */
export const invalidField = (path: string, message: string) =>
  new AppError(400, "validation_failed", `${path}: ${message}`, {
    errors: [{ path, message }],
  });
