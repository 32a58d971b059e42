/**
 * Access tokens: short-lived HS256 JWTs scoped to one org (docs/api.md, "Conventions"), or, for an
 * operator who belongs to no org, to none: such a token carries neither `org` nor `role`.
 */
import { ID_PATTERN } from "../platform/ids.ts";
import { sign, verify } from "hono/jwt";
import { z } from "zod";
import { ROLES } from "./memberships.ts";

const hex24 = z.string().regex(ID_PATTERN);

const claimsSchema = z.object({
  sub: hex24,
  org: hex24.optional(),
  role: z.enum(ROLES).optional(),
  sid: hex24,
  iat: z.number().int(),
  exp: z.number().int(),
}).refine((c) => (c.org === undefined) === (c.role === undefined), "org and role go together");

export type AccessClaims = z.infer<typeof claimsSchema>;

export async function signAccessToken(
  secret: string,
  c: Pick<AccessClaims, "sub" | "org" | "role" | "sid">,
  ttlSeconds: number,
  now: Date,
): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000);
  return await sign({ ...c, iat, exp: iat + ttlSeconds }, secret, "HS256");
}

/**
 * Per secret: the HMAC key, imported once (importing it per request costs more than the
 * signature check), and the claims of tokens already verified, so a client's repeated token
 * costs a map lookup and an expiry check until it expires.
 */
interface Verifier {
  key: Promise<CryptoKey>;
  verified: Map<string, AccessClaims>;
}
const verifiers = new Map<string, Verifier>();
const VERIFIED_MAX = 10_000;
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

function verifierFor(secret: string): Verifier {
  let v = verifiers.get(secret);
  if (!v) {
    const key = crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["verify"],
    );
    v = { key, verified: new Map() };
    verifiers.set(secret, v);
  }
  return v;
}

/** Verify signature (HS256 only: the algorithm is pinned), expiry and claim shapes; null if any fails. */
export async function verifyAccessToken(
  secret: string,
  token: string,
  nowMs = Date.now(),
): Promise<AccessClaims | null> {
  if (token.length > 4096) return null;
  const v = verifierFor(secret);
  const known = v.verified.get(token);
  if (known) return known.exp * 1000 > nowMs ? known : null;
  // Checked only here: a token in `verified` already passed it.
  if (!JWT.test(token)) return null;
  try {
    const payload = await verify(token, await v.key, { alg: "HS256" });
    const parsed = claimsSchema.safeParse(payload);
    if (!parsed.success) return null;
    if (v.verified.size >= VERIFIED_MAX) v.verified.clear();
    v.verified.set(token, parsed.data);
    return parsed.data;
  } catch {
    return null;
  }
}
