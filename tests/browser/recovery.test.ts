/**
 * Password reset and email confirmation in the console, end to end: the real service (a child
 * process on the embedded database) sends its mail through its outbox to a real SMTP server on
 * a loopback port (tests/support/smtp.ts); headless Chromium (Debian's `chromium`, driven by
 * playwright-core) opens the link of the mail that arrived, as a person would. Screenshots go
 * to results/screenshots/.
 */
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "../support/browser.ts";
import { assert, assertEquals } from "../support/assert.ts";
import {
  call,
  createOrgOverHttp,
  dbClient,
  dropService,
  PASSWORD,
  ROOT,
  serviceEnv,
  spawnService,
} from "../support/service.ts";
import { linkIn, startSmtpServer } from "../support/smtp.ts";
import { waitUntil } from "../../tools/lib/wait.ts";
import { freePort } from "../../src/platform/embedded/ferretdb.ts";

const SHOTS = `${ROOT}results/screenshots`;
const NEW_PASSWORD = "a fresh passphrase from the mail";

const heading = (page: Page, name: string) =>
  page.getByRole("heading", { level: 1, name, exact: true });

async function shot(page: Page, name: string) {
  await page.screenshot({ path: `${SHOTS}/${name}-${page.viewportSize()?.width}.png` });
}

Deno.test("the console: forgot password by mail, and confirming the email from the banner", {
  sanitizeOps: false,
  sanitizeResources: false,
}, async (t) => {
  const smtp = await startSmtpServer();
  const dataDir = await Deno.makeTempDir({ prefix: "orgservice-recovery-" });
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  const service = await spawnService(serviceEnv({
    PORT: String(port),
    DATA_DIR: dataDir,
    SMTP_URL: smtp.url,
    MAIL_FROM: "Org Service <noreply@orgs.example.com>",
    PUBLIC_URL: base,
  }));
  await Deno.mkdir(SHOTS, { recursive: true });
  const browser: Browser = await launchChromium();
  const id = crypto.randomUUID().slice(0, 8);
  const linkTo = async (address: string, page: string, n = 1) => {
    const links = () =>
      smtp.received.filter((m) => m.envelopeTo.includes(address))
        .map((m) => linkIn(m.parsed.text ?? "", page)).filter((l): l is string => !!l);
    await waitUntil(() => links().length >= n, `mail ${n} to ${address} linking to #/${page}`);
    return links()[n - 1];
  };
  const errors: string[] = [];

  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    page.on("pageerror", (e) => errors.push(`uncaught: ${e.message}`));

    await t.step("forgot password → the mail's link → a new password → sign in", async () => {
      const owner = `forgot-${id}@example.com`;
      const { org } = await createOrgOverHttp(base, `Forgot ${id}`, owner);
      await page.goto(`${base}/console#/sign-in`);
      await heading(page, "Sign in").waitFor();
      await page.getByRole("link", { name: "Forgot password?" }).click();
      await heading(page, "Forgot your password?").waitFor();
      await page.getByLabel("Email").fill(owner);
      await page.getByRole("button", { name: "Send the link" }).click();
      await page.getByTestId("forgot-sent").waitFor();
      await shot(page, "forgot-sent");

      const link = await linkTo(owner, "reset");
      assert(link.startsWith(`${base}/console/#/reset?token=`), link);
      await page.goto(link);
      await heading(page, "Choose a new password").waitFor();
      await page.getByLabel("Choose a password").fill(NEW_PASSWORD);
      await shot(page, "reset");
      await page.getByRole("button", { name: "Set the password" }).click();
      await heading(page, "Sign in").waitFor();
      await page.getByText("Your password is changed").waitFor();
      await page.getByLabel("Email").fill(owner);
      await page.getByLabel("Password").fill(NEW_PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await heading(page, org.name).waitFor();
      // The reset mail proved the address: no banner.
      assertEquals(await page.getByTestId("verify-banner").count(), 0);
      // The old password is gone.
      const old = await call(base, "POST", "/v1/auth/login", {
        body: { email: owner, password: PASSWORD },
      });
      assertEquals(old.status, 401);
      await page.getByRole("button", { name: "Sign out" }).click();
      await heading(page, "Sign in").waitFor();
    });

    await t.step("the banner's 'Send again' mails a link that confirms the address", async () => {
      const owner = `verify-${id}@example.com`;
      const { org } = await createOrgOverHttp(base, `Verify ${id}`, owner);
      await linkTo(owner, "verify", 1); // the sign-up's mail
      await page.goto(`${base}/console#/sign-in`);
      await page.getByLabel("Email").fill(owner);
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await heading(page, org.name).waitFor();
      const banner = page.getByTestId("verify-banner");
      await banner.waitFor();
      await banner.getByRole("button", { name: "Send again" }).click();
      await banner.getByText("A new mail is on its way").waitFor();
      await shot(page, "verify-banner");
      const link = await linkTo(owner, "verify", 2);
      await page.goto(link);
      await heading(page, "Confirm your email address").waitFor();
      await page.getByTestId("verified").waitFor();
      await shot(page, "verified");
      await waitUntil(async () => await banner.count() === 0, "the banner gone");
      // The first mail's link was replaced by the second one.
      const first = await linkTo(owner, "verify", 1);
      const token = decodeURIComponent(first.split("token=")[1]);
      const stale = await call(base, "POST", "/v1/auth/email/verify", { body: { token } });
      assertEquals(stale.status, 400);
    });

    await t.step("no uncaught errors", () => {
      assertEquals(errors, []);
    });
  } finally {
    await browser.close();
    await service.stop();
    await smtp.stop();
    const client = dbClient();
    await dropService(client, service.env).finally(() => client.close());
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
});
