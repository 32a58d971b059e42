/** Replays raced against themselves: a refresh token and an invitation are each honoured once. */
import { assert, assertEquals, problemCode } from "../../support/assert.ts";
import {
  bearer,
  createOrgAndLogin,
  createTestApp,
  dbTest,
  json,
  PASSWORD,
} from "../../support/app.ts";

Deno.test("a refresh token replayed concurrently is honoured once", dbTest, async () => {
  await using app = await createTestApp();
  const owner = await createOrgAndLogin(app, "Race Co");
  const answers = await Promise.all(
    Array.from(
      { length: 8 },
      () => app.request("/v1/auth/refresh", json({ refreshToken: owner.refreshToken })),
    ),
  );
  const ok = answers.filter((r) => r.status === 200);
  assert(ok.length <= 1, `${ok.length} of 8 concurrent refreshes with one token succeeded`);
  const codes = await Promise.all(answers.map(async (r) => [r.status, await problemCode(r)]));
  for (const [status] of codes) assert(status === 200 || status === 401, `status ${status}`);
  assert(codes.some(([, code]) => code === "refresh_reused"), "the replay was detected");
  // Reuse revokes the whole session: the access token of the login is refused now.
  assertEquals((await app.request("/v1/me", { headers: bearer(owner.token) })).status, 401);
});

Deno.test("an invitation accepted concurrently is used once, and never again", dbTest, async () => {
  await using app = await createTestApp();
  const owner = await createOrgAndLogin(app, "Invite Race Co");
  const slug = owner.org.slug;
  const inv = await app.request(`/v1/orgs/${slug}/invitations`, {
    method: "POST",
    headers: { ...bearer(owner.token), "Content-Type": "application/json" },
    body: JSON.stringify({ email: "racer@example.com", role: "member" }),
  });
  const { token } = await inv.json();
  const answers = await Promise.all(
    Array.from(
      { length: 8 },
      () => app.request("/v1/invitations/accept", json({ token, password: PASSWORD })),
    ),
  );
  const statuses = answers.map((r) => r.status);
  assertEquals(statuses.filter((s) => s === 200).length, 1, `statuses ${statuses}`);
  const joined = await answers.find((r) => r.status === 200)!.json();
  const userId = JSON.parse(atob(joined.accessToken.split(".")[1])).sub;
  for (const r of answers) if (!r.bodyUsed) await r.body?.cancel();
  // Removed from the org, the member cannot use the same invitation to come back.
  const removed = await app.request(`/v1/orgs/${slug}/members/${userId}`, {
    method: "DELETE",
    headers: bearer(owner.token),
  });
  assertEquals(removed.status, 204);
  const again = await app.request("/v1/invitations/accept", json({ token, password: PASSWORD }));
  assertEquals(again.status, 404, "the invitation works once");
});
