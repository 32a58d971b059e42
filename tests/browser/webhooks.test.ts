/**
 * The console's Webhooks page in headless Chromium (the launch flags of console.test.ts): add an
 * endpoint (its secret shown once, copied with the button), send a test event that a real
 * receiver verifies with `standardwebhooks`, see the delivery succeed in the log, retry it (same
 * `webhook-id`), disable the endpoint. The browser may reach only the service.
 */
import { launchChromium } from "../support/browser.ts";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { dbClient, dropService, PASSWORD, serviceEnv, spawnService } from "../support/service.ts";
import { waitUntil } from "../../tools/lib/wait.ts";
import { startReceiver } from "../support/webhooks.ts";

Deno.test("the console's Webhooks page: add (secret once), test, deliveries, retry, disable", {
  sanitizeOps: false,
  sanitizeResources: false,
}, async (t) => {
  await using receiver = startReceiver();
  const dataDir = await Deno.makeTempDir({ prefix: "orgservice-console-webhooks-" });
  const env = serviceEnv({
    DATA_DIR: dataDir,
    LOG_LEVEL: "warn",
    WEBHOOK_ALLOW_PRIVATE: "1",
    WEBHOOK_RETRY_SCALE: "0.001",
  });
  const service = await spawnService(env);
  const base = service.url;
  const browser = await launchChromium();
  const outside: string[] = [];
  const errors: string[] = [];
  const id = crypto.randomUUID().slice(0, 8);
  const client = dbClient();
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith(`${base}/`) || url.startsWith("data:")) return route.continue();
      outside.push(url);
      return route.abort("blockedbyclient");
    });
    const page = await context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(`uncaught: ${e.message}`));
    page.on("dialog", (d) => void d.accept());
    const heading = (name: string) => page.getByRole("heading", { level: 1, name, exact: true });

    await t.step("sign up and open the Webhooks page", async () => {
      await page.goto(`${base}/console#/create`);
      await heading("Create an organization").waitFor();
      await page.getByLabel("Organization name").fill(`Hooks ${id}`);
      await page.getByLabel("Your email").fill(`owner-${id}@example.com`);
      await page.getByLabel("Choose a password").fill(PASSWORD);
      await page.getByRole("button", { name: "Create organization" }).click();
      await heading(`Hooks ${id}`).waitFor();
      await page.getByRole("link", { name: "Webhooks" }).click();
      await heading("Webhooks").waitFor();
      await page.getByText("No endpoints.").waitFor();
    });

    let secret = "";
    await t.step(
      "add an endpoint: the secret is shown once, with a warning and a copy button",
      async () => {
        await page.getByLabel("URL").fill(`${receiver.url}/console`);
        await page.getByLabel("Description").fill("our backend");
        await page.getByRole("button", { name: "Add endpoint" }).click();
        const shown = page.locator("#webhook-secret");
        await shown.waitFor();
        secret = await shown.inputValue();
        assertMatch(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
        await page.getByText("it is shown once and never again").waitFor();
        await page.getByRole("button", { name: "Copy secret" }).click();
        await page.getByText("Copied to the clipboard.").waitFor();
        assertEquals(await page.evaluate("navigator.clipboard.readText()"), secret);
        receiver.secrets.set("/console", secret);
        await page.locator(".webhook-url", { hasText: `${receiver.url}/console` }).waitFor();
        assertEquals(await page.locator(".webhook-state").innerText(), "Enabled");
        // Reloaded, the page shows no secret anywhere.
        await page.reload();
        await heading("Webhooks").waitFor();
        await page.locator(".webhook-url").waitFor();
        assert(
          !(await page.content()).includes(secret.slice(6)),
          "the secret is never shown again",
        );
      },
    );

    await t.step("send a test event: verified by the receiver, succeeded in the log", async () => {
      await page.getByRole("button", { name: "Send test event" }).click();
      const [d] = await receiver.waitFor(1);
      assert(d.verified, d.verifyError);
      assertEquals(d.body.type, "webhook.test");
      await waitUntil(async () => {
        await page.getByRole("button", { name: "Refresh" }).click();
        return await page.locator(".delivery-status").first().innerText().catch(() => "") ===
          "succeeded";
      }, "the delivery shows as succeeded");
    });

    await t.step("retry a delivery: sent again with the same webhook-id", async () => {
      await page.getByRole("button", { name: "Retry" }).first().click();
      const [first, second] = await receiver.waitFor(2);
      assert(second.verified, second.verifyError);
      assertEquals(second.id, first.id);
    });

    await t.step("disable the endpoint", async () => {
      await page.getByRole("button", { name: "Disable" }).click();
      await page.locator(".webhook-state", { hasText: "Disabled (manual)" }).waitFor();
      await page.getByRole("button", { name: "Enable" }).waitFor();
    });

    assertEquals(outside, [], "the console reached nothing but the service");
    assertEquals(errors.filter((e) => !/status of 4\d\d/.test(e)), []);
  } finally {
    await browser.close();
    await service.stop();
    await dropService(client, env);
    await client.close();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
});
