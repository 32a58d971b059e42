/**
 * A frontend on another origin, in real Chromium: a page served by a static server on another
 * loopback port loads the client package (`deno task build:client`, installed with npm beside
 * `hono`) as ES modules through an import map, signs in and reads data across origins, the
 * service allowing that origin by CORS_ORIGINS. A page from an origin not listed is blocked.
 */
import type { Browser, Page } from "playwright-core";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { launchChromium } from "../support/browser.ts";
import { installClientPackage } from "../support/client-package.ts";
import {
  createOrgOverHttp,
  dbClient,
  dropService,
  PASSWORD,
  serviceEnv,
  spawnService,
} from "../support/service.ts";
import { freePort } from "../../src/platform/embedded/ferretdb.ts";

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Frontend</title>
<script type="importmap">
{ "imports": {
  "@orgservice/client": "/client/index.js",
  "hono/client": "/hono/client/index.js"
} }
</script>
<script type="module">
import * as client from "@orgservice/client";
window.orgservice = client;
document.title = "ready";
</script>
</head>
<body><h1>Frontend</h1></body>
</html>
`;

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
};

/** A static server for the page, the package and hono's client build, on its own port. */
function serveFrontend(project: string) {
  const port = freePort();
  const roots: [string, string][] = [
    ["/client/", `${project}/node_modules/@orgservice/client/`],
    ["/hono/", `${project}/node_modules/hono/dist/`],
  ];
  const server = Deno.serve({ port, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/") return new Response(PAGE, { headers: { "Content-Type": TYPES[".html"] } });
    const root = roots.find(([prefix]) => path.startsWith(prefix));
    if (!root || path.includes("..")) return new Response("not found", { status: 404 });
    try {
      const body = await Deno.readFile(root[1] + path.slice(root[0].length));
      const type = TYPES[path.slice(path.lastIndexOf("."))] ?? "application/octet-stream";
      return new Response(body, { headers: { "Content-Type": type } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  return { origin: `http://127.0.0.1:${port}`, shutdown: () => server.shutdown() };
}

async function openFrontend(browser: Browser, origin: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${origin}/`);
  await page.waitForFunction(`document.title === "ready"`, undefined, { timeout: 30_000 });
  return page;
}

Deno.test(
  "a page on an allowed origin signs in and reads data through the client package; another origin is blocked",
  {
    sanitizeOps: false,
    sanitizeResources: false,
  },
  async (t) => {
    const dir = await Deno.makeTempDir({ prefix: "orgservice-cross-origin-" });
    const { project } = await installClientPackage(dir);
    const allowed = serveFrontend(project);
    const other = serveFrontend(project);
    const env = serviceEnv({ CORS_ORIGINS: `https://app.example,${allowed.origin}` });
    const service = await spawnService(env);
    const db = dbClient();
    let browser: Browser | undefined;
    try {
      const id = crypto.randomUUID().slice(0, 8);
      const owner = await createOrgOverHttp(service.url, `Cross ${id}`, `cross-${id}@example.com`);
      browser = await launchChromium();
      const input = {
        base: service.url,
        email: owner.email,
        password: PASSWORD,
        slug: owner.org.slug,
      };

      await t.step(
        "the allowed origin: sign in, read, write with If-Match, read errors",
        async () => {
          const page = await openFrontend(browser!, allowed.origin);
          const result = await page.evaluate(async ({ base, email, password, slug }) => {
            // deno-lint-ignore no-explicit-any
            const { createClient, problemOf, collection } = (globalThis as any).orgservice;
            const anonymous = createClient(base);
            const wrong = await anonymous.v1.auth.login.$post({
              json: { email, password: "not the password", org: slug },
            });
            const refused = await problemOf(wrong);
            const login = await anonymous.v1.auth.login.$post({
              json: { email, password, org: slug },
            });
            const { accessToken } = await login.json();
            const api = createClient(base, { token: accessToken });
            const me = await api.v1.me.$get();
            const { user } = await me.json();
            const made = await api.v1.orgs[":slug"].collections.$post({
              param: { slug },
              json: { name: "notes" },
            });
            const notes = collection(api, slug, "notes");
            const note = await notes.insert({ text: "hello" });
            const read = await api.v1.orgs[":slug"].collections[":name"].documents[":documentId"]
              .$get({
                param: { slug, name: "notes", documentId: note._id },
                header: {},
              });
            const etag = read.headers.get("ETag");
            const updated = await notes.update(note._id, { text: "hello again" }, {
              ifMatch: etag,
            });
            const { items } = await notes.list();
            return {
              refused: refused?.code,
              requestId: wrong.headers.get("X-Request-Id"),
              login: login.status,
              email: user.email,
              made: made.status,
              etag,
              updated: updated.text,
              items: items.map((d: { text: string }) => d.text),
            };
          }, input);
          assertEquals(result.refused, "invalid_credentials", "an error's body is readable");
          assert(result.requestId, "X-Request-Id is exposed");
          assertEquals(result.login, 200);
          assertEquals(result.email, owner.email);
          assertEquals(result.made, 201);
          assert(result.etag, "ETag is exposed");
          assertEquals(result.updated, "hello again", "a PATCH with If-Match passes its preflight");
          assertEquals(result.items, ["hello again"]);
          await page.close();
        },
      );

      await t.step("an origin not listed is blocked: fetch rejects", async () => {
        const page = await openFrontend(browser!, other.origin);
        const result = await page.evaluate(async ({ base, email, password, slug }) => {
          // deno-lint-ignore no-explicit-any
          const { createClient } = (globalThis as any).orgservice;
          const api = createClient(base);
          try {
            const res = await api.v1.auth.login.$post({ json: { email, password, org: slug } });
            return { status: res.status };
          } catch (e) {
            return { error: `${(e as Error).name}: ${(e as Error).message}` };
          }
        }, input);
        assertMatch(result.error ?? `answered ${result.status}`, /^TypeError: Failed to fetch/);
        await page.close();
      });
    } finally {
      await browser?.close();
      await service.stop();
      await allowed.shutdown();
      await other.shutdown();
      await dropService(db, env);
      await db.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);
