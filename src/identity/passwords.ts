/**
 * Password rules (NIST SP 800-63B): 8–128 characters, no composition rules, refused when the
 * zxcvbn-ts common dictionary knows it as a common password or it scores below 2.
 */
import { ZxcvbnFactory } from "@zxcvbn-ts/core";
import * as common from "@zxcvbn-ts/language-common";
import { AppError } from "../errors.ts";

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

let zxcvbn: ZxcvbnFactory | undefined;

/** Why a password is too weak, or null when it is acceptable. */
export function passwordWeakness(password: string, userInputs: string[] = []): string | null {
  zxcvbn ??= new ZxcvbnFactory({
    dictionary: { ...common.dictionary },
    graphs: common.adjacencyGraphs,
  });
  const result = zxcvbn.check(password, userInputs);
  const common_ = result.sequence.some((m) =>
    m.pattern === "dictionary" && m.dictionaryName === "passwords-common" &&
    m.token.length === password.length
  );
  if (common_) return "is a commonly used password";
  if (result.score < 2) return "is too easy to guess";
  return null;
}

export function assertStrongPassword(password: string, userInputs: string[] = []): void {
  const weakness = passwordWeakness(password, userInputs);
  if (weakness) {
    throw new AppError(400, "weak_password", `The password ${weakness}`, {
      errors: [{ path: "password", message: `Password ${weakness}` }],
    });
  }
}
