/**
 * Password rules (NIST SP 800-63B): 8–128 characters, no composition rules, refused when it is
 * a known common password or trivially guessable (the check runs in the hash workers).
 */
import { AppError } from "../platform/errors.ts";
import type { Hasher } from "../platform/hasher.ts";

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

export async function assertStrongPassword(
  hasher: Hasher,
  password: string,
  userInputs: string[] = [],
): Promise<void> {
  const weakness = await hasher.weakness(password, userInputs);
  if (weakness) {
    throw new AppError(400, "weak_password", `The password ${weakness}`, {
      errors: [{ path: "password", message: `Password ${weakness}` }],
    });
  }
}
