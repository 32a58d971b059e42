import { problemOf } from "./client-problem.ts";
import { assertEquals } from "../tests/support/assert.ts";

Deno.test("problemOf() gives a code to an error that is not problem+json", async () => {
  const p = await problemOf(new Response("<h1>Bad gateway</h1>", { status: 502 }));
  assertEquals(p?.status, 502);
  assertEquals(p?.code, "unexpected_response");
});
