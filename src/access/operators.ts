/**
 * Operators (docs/operating.md, "Operators"): users with the platform role `operator`. The role is
 * granted and revoked only from the command line (`deno task operator`), never over HTTP; every
 * admin action checks it through the short-TTL cache, so a revocation reaches every instance within
 * the cache period and this one at once.
 */
import { tag } from "../platform/cache.ts";
import type { Deps } from "../platform/deps.ts";
import { forbidden } from "../platform/errors.ts";
import { findUserByEmail, findUserById, setPlatformRole, type User } from "../identity/users.ts";

/** Whether the user holds the platform role `operator` (read at most one cache period ago). */
export async function isOperator(deps: Pick<Deps, "cache" | "db">, userId: string) {
  return await deps.cache.get(`platform-role:${userId}`, async () => {
    const user = await findUserById(deps.db.master, userId);
    return { value: user?.platformRole === "operator", tags: [tag.user(userId)] };
  });
}

/** 403 `forbidden` unless the user is an operator. */
export async function assertOperator(
  deps: Pick<Deps, "cache" | "db">,
  userId: string,
): Promise<void> {
  if (!await isOperator(deps, userId)) {
    throw forbidden("This action is for operators of the platform only");
  }
}

export interface OperatorChange {
  /** Null when no user has this email (nothing changed). */
  user: User | null;
  /** False when the user already had (or already lacked) the role. */
  changed: boolean;
}

/** Grant (`on`) or revoke the platform role `operator` of the user with `email`. */
export async function setOperator(
  deps: Pick<Deps, "cache" | "db" | "now">,
  email: string,
  on: boolean,
): Promise<OperatorChange> {
  const before = await findUserByEmail(deps.db.master, email);
  if (!before) return { user: null, changed: false };
  const user = await setPlatformRole(deps.db.master, email, on ? "operator" : null, deps.now());
  if (!user) return { user: null, changed: false }; // deleted meanwhile
  deps.cache.forget(tag.user(user.id));
  return { user, changed: (before.platformRole === "operator") !== on };
}
