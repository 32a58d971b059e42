/** Access tokens: short-lived HS256 JWTs scoped to one org (API.md, "Authentication"). */
import { sign, verify } from "hono/jwt";
import { z } from "zod";
import { ROLES } from "./memberships.ts";

const hex24 = z.string().regex(/^[0-9a-f]{24}$/);

const claimsSchema = z.object({
  sub: hex24,
  org: hex24,
  role: z.enum(ROLES),
  sid: hex24,
  iat: z.number().int(),
  exp: z.number().int(),
});

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

/** Verify signature (HS256 only: the algorithm is pinned), expiry and claim shapes; null if any fails. */
export async function verifyAccessToken(
  secret: string,
  token: string,
): Promise<AccessClaims | null> {
  if (token.length > 4096) return null;
  try {
    const payload = await verify(token, secret, { alg: "HS256" });
    const parsed = claimsSchema.safeParse(payload);
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
