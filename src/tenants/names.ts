/** Organization names and the slugs derived from them (API.md, "Names"). */

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
