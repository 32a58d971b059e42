/**
 * Password rules (NIST SP 800-63B): 8–128 characters and at most 72 bytes in UTF-8, no
 * composition rules, refused when it is a known common password or trivially guessable (the
 * check runs in the hash workers). bcrypt reads only the first 72 bytes of a password, so a
 * longer one is refused rather than silently cut (a different tail would sign in).
 */
import { weakPassword } from "../platform/errors.ts";
import type { Hasher } from "../platform/hasher.ts";

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;
export const PASSWORD_MAX_BYTES = 72;

const encoder = new TextEncoder();

/** True when bcrypt reads every byte of `password`. */
export const fitsBcrypt = (password: string) =>
  encoder.encode(password).length <= PASSWORD_MAX_BYTES;

export const PASSWORD_TOO_LONG = `Password must be at most ${PASSWORD_MAX_BYTES} bytes in UTF-8 ` +
  `(${PASSWORD_MAX_BYTES} ASCII characters, fewer with accents or other scripts)`;

export async function assertStrongPassword(
  hasher: Hasher,
  password: string,
  userInputs: string[] = [],
): Promise<void> {
  const weakness = await hasher.weakness(password, userInputs);
  if (weakness) throw weakPassword(weakness);
}
