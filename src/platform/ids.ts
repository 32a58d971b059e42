/**
 * The one id rule: an id a client may send is 24 lower-case hexadecimal digits, the string form
 * of an ObjectId. Anything else names nothing (a lookup answers null, never a driver error).
 */
import { ObjectId } from "mongodb";

/** The pattern, for schemas and for token formats that embed an id. */
export const ID_PATTERN = /^[0-9a-f]{24}$/;
/** The same, as a fragment to embed in a larger pattern. */
export const ID_SOURCE = "[0-9a-f]{24}";

export const isId = (id: string): boolean => ID_PATTERN.test(id);

/** The ObjectId of a valid id, or null. */
export const toObjectId = (id: string): ObjectId | null => isId(id) ? new ObjectId(id) : null;
