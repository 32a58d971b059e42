/** Organization names and the slugs derived from them (docs/api.md, "Conventions"). */
import { invalidField } from "../platform/errors.ts";

export const NAME_MIN = 3;
export const NAME_MAX = 50;
export const SLUG_MIN = 3;
export const SLUG_MAX = 50;

/** Code points, not UTF-16 units: "é" and "😀" are one character each. */
export const charLength = (s: string) => [...s].length;

/**
 * Fold a name into its slug: diacritics removed (NFKD, then combining marks dropped),
 * lower-case ASCII letters and digits kept, every other run of characters one hyphen.
 * Returns "" when nothing usable is left; callers refuse slugs shorter than SLUG_MIN.
 */
export function slugify(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, SLUG_MAX)
    .replace(/-+$/, "");
}

/**
 * Characters that let a name look like another (bidi overrides, zero-width joiners) or break
 * its display (C0/C1 controls, line and paragraph separators), and code points with no
 * agreed glyph (lone surrogates, private use): Unicode categories Cc, Cf, Cs, Co, Zl, Zp.
 */
const INVISIBLE_OR_CONTROL = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Zl}\p{Zp}]/u;

/** Trim and check a name; returns it with its slug, or throws 400 `validation_failed`. */
export function checkName(raw: string, path = "name"): { name: string; slug: string } {
  const name = raw.trim();
  const fail = (message: string) => invalidField(path, message);
  if (INVISIBLE_OR_CONTROL.test(name)) {
    throw fail(
      "Name must not contain control, format (bidi, zero-width), surrogate, private-use or " +
        "line/paragraph separator characters",
    );
  }
  const n = charLength(name);
  if (n < NAME_MIN || n > NAME_MAX) {
    throw fail(`Name must be ${NAME_MIN}–${NAME_MAX} characters after trimming`);
  }
  const slug = slugify(name);
  if (slug.length < SLUG_MIN) {
    throw fail(`Name must contain at least ${SLUG_MIN} letters or digits usable in a slug`);
  }
  return { name, slug };
}
