/**
 * The console's API keys page end to end (the real service, headless Chromium): an owner
 * creates a key with a scope and an expiry, sees it once with a warning and copies it; the key
 * works against the data API from outside the browser; the list shows its prefix, scopes and
 * last use; revoking it (after confirming) makes it stop working.
 */
import type { Dialog, Page } from "playwright-core";
import { launchChromium } from "../support/browser.ts";
import { assert, assertEquals } from "../support/assert.ts";
import {
  call,
  createOrgOverHttp,
  dbClient,
  dropService,
  PASSWORD,
  serviceEnv,
  spawnService,
} from "../support/service.ts";
import { waitUntil } from "../../tools/lib/wait.ts";

const heading = (page: Page, name: string) =>
  page.getByRole("heading", { level: 1, name, exact: true });

Deno.test("the console's API keys: create, copy once, use, list, revoke", {
  sanitizeOps: false,
  sanitizeResources: false,
}, async (t) => {
  const dataDir = await Deno.makeTempDir({ prefix: "orgservice-keys-" });
  const service = await spawnService(serviceEnv({ DATA_DIR: dataDir, LOG_LEVEL: "warn" }));
  const base = service.url;
  const browser = await launchChromium();
  const id = crypto.randomUUID().slice(0, 8);
  const owner = await createOrgOverHttp(base, `Keys ${id}`, `keys-${id}@example.com`);
  const slug = owner.org.slug;
  const made = await call(base, "POST", `/v1/orgs/${slug}/collections`, {
    token: owner.token,
    body: { name: "orders" },
  });
  assertEquals(made.status, 201);
  const errors: string[] = [];
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
    const page = await context.newPage();
    page.on("pageerror", (e) => errors.push(`uncaught: ${e.message}`));
    let key = "";

    await t.step("sign in and open API keys from the navigation", async () => {
      await page.goto(`${base}/console#/api-keys`);
      await page.getByLabel("Email").fill(owner.email);
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await heading(page, "API keys").waitFor();
      await page.getByRole("link", { name: "Members" }).click();
      await heading(page, "Members").waitFor();
      await page.getByRole("link", { name: "API keys" }).click();
      await heading(page, "API keys").waitFor();
      await page.getByText("No API keys yet.").waitFor();
    });

    await t.step("create a key: shown once, with a warning and a copy button", async () => {
      await page.getByLabel("Name").fill("orders backend");
      await page.getByRole("checkbox", { name: /Read data/ }).check();
      await page.getByLabel("Expires after").selectOption("90");
      await page.getByRole("button", { name: "Create key" }).click();
      const input = page.locator("#new-api-key");
      await input.waitFor();
      key = await input.inputValue();
      assert(/^osk_[0-9a-f]{24}_[A-Za-z0-9_-]{43}$/.test(key), `a key: ${key}`);
      await page.getByText("It is shown only this once").waitFor();
      await page.getByRole("button", { name: "Copy key" }).click();
      await page.getByText("Copied to the clipboard.").waitFor();
      assertEquals(await page.evaluate("navigator.clipboard.readText()"), key);
      const row = page.locator('li[data-key-name="orders backend"]');
      await row.waitFor();
      assertEquals(await row.locator('[data-field="prefix"]').innerText(), `${key.slice(0, 12)}…`);
      await row.getByText("data:read").waitFor();
      await row.getByText(/Expires/).waitFor();
      assertEquals(await row.locator('[data-field="lastUsedAt"]').innerText(), "never");
    });

    await t.step("the key works against the data API; the list shows its last use", async () => {
      const res = await fetch(`${base}/v1/orgs/${slug}/collections/orders/documents`, {
        headers: { Authorization: `Bearer ${key}` },
      });
      assertEquals(res.status, 200);
      await res.body?.cancel();
      const write = await fetch(`${base}/v1/orgs/${slug}/collections/orders/documents`, {
        method: "POST",
        headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
        body: JSON.stringify({ total: 1 }),
      });
      assertEquals(write.status, 403); // data:read only
      await write.body?.cancel();
      await page.getByRole("link", { name: "Members" }).click();
      await heading(page, "Members").waitFor();
      await page.getByRole("link", { name: "API keys" }).click();
      const row = page.locator('li[data-key-name="orders backend"]');
      await waitUntil(
        async () => (await row.locator('[data-field="lastUsedAt"]').innerText()) !== "never",
        "the last use shown",
      );
      // Shown once: after leaving the page, the key is nowhere on it.
      assert(!(await page.content()).includes(key), "the key shown again");
    });

    await t.step("revoke after confirming: the key stops working", async () => {
      const asked: string[] = [];
      page.once("dialog", (d: Dialog) => {
        asked.push(d.message());
        void d.accept();
      });
      await page.getByRole("button", { name: /Revoke.*orders backend/ }).click();
      await page.getByText("No API keys yet.").waitFor();
      assert(asked[0]?.includes("orders backend"), `the confirmation: ${asked[0]}`);
      const res = await fetch(`${base}/v1/orgs/${slug}/collections/orders/documents`, {
        headers: { Authorization: `Bearer ${key}` },
      });
      assertEquals(res.status, 401);
      await res.body?.cancel();
    });

    await t.step("no errors in the page", () => {
      assertEquals(errors, []);
    });
  } finally {
    await browser.close();
    await service.stop();
    const client = dbClient();
    await dropService(client, service.env).finally(() => client.close());
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
});
