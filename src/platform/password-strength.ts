/**
 * Password strength with zxcvbn-ts. Its dictionaries are large (tens of MiB) and a check takes
 * tens of milliseconds, so this module is loaded only by the hash workers
 * (src/platform/hash-worker.ts), never on the server's event loop.
 */
import { ZxcvbnFactory } from "@zxcvbn-ts/core";
import * as common from "@zxcvbn-ts/language-common";

let zxcvbn: ZxcvbnFactory | undefined;

/**
 * Why a password is too weak, or null when it is acceptable: refused when the common
 * dictionary knows it as a common password (whole, l33t included) or it scores below 2.
 */
export function passwordWeakness(password: string, userInputs: string[] = []): string | null {
  zxcvbn ??= new ZxcvbnFactory({
    dictionary: { ...common.dictionary },
    graphs: common.adjacencyGraphs,
  });
  const result = zxcvbn.check(password, userInputs);
  const isCommon = result.sequence.some((m) =>
    m.pattern === "dictionary" && m.dictionaryName === "passwords-common" &&
    m.token.length === password.length
  );
  if (isCommon) return "is a commonly used password";
  if (result.score < 2) return "is too easy to guess";
  return null;
}
