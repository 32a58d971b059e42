/**
 * The one id rule: an id a client may send is 24 lower-case hexadecimal digits, the string form
 * of an ObjectId as `toHexString()` writes it and as every answer of the service spells it.
 * Anything else names nothing (a lookup answers null or 404, never a driver error), upper-case
 * included: one thing has one spelling, so a document has one URL and one cache entry, and a
 * filter on `_id` means the same as the path.
 */
import { ObjectId } from "mongodb";

/** The pattern, for schemas and for token formats that embed an id. */
export const ID_PATTERN = /^[0-9a-f]{24}$/;
/** The same, as a fragment to embed in a larger pattern. */
export const ID_SOURCE = "[0-9a-f]{24}";

export const isId = (id: string): boolean => ID_PATTERN.test(id);

/** The ObjectId of a valid id, or null. */
export const toObjectId = (id: string): ObjectId | null => isId(id) ? new ObjectId(id) : null;
