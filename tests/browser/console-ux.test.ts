/**
 * The console as a new user meets it, in Chromium at 1280 and 375 px: a header that fits (the
 * org's name in full, a Menu on a narrow screen), first steps on an empty org, an invitation
 * page that says what the invitation is, sorting in the document browser, and a collection's
 * indexes added and dropped. Screenshots go to results/screenshots/ux-*.png.
 */
import type { Page } from "playwright-core";
import { assert, assertEquals } from "../support/assert.ts";
import {
  heading,
  launchChromium,
  NARROW,
  openContext,
  overflowX,
  shot,
  SHOTS,
  watch,
  WIDE,
} from "../support/browser.ts";
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

/** The first document's `n` on the page, read from its preview. */
const ns = async (page: Page) =>
  (await page.locator("ul.documents > li .preview").allInnerTexts()).map((t) =>
    (JSON.parse(t) as { n: number }).n
  );

/** Errors other than the API's 4xx answers the steps ask for (Chromium reports those). */
const unexpected = (errors: string[]) => errors.filter((e) => !/status of 4\d\d/.test(e));

Deno.test("the console for a new user: header, first steps, invitation, sorting, indexes", {
  sanitizeOps: false,
  sanitizeResources: false,
}, async (t) => {
  const dataDir = await Deno.makeTempDir({ prefix: "orgservice-console-ux-" });
  const service = await spawnService(serviceEnv({ DATA_DIR: dataDir, LOG_LEVEL: "warn" }));
  const base = service.url;
  await Deno.mkdir(SHOTS, { recursive: true });
  const browser = await launchChromium();
  const outside: string[] = [];
  const id = crypto.randomUUID().slice(0, 8);
  const orgName = `Console Test Organization ${id}`;
  const owner = `owner-${id}@example.com`;
  const o = await createOrgOverHttp(base, orgName, owner);
  const slug = o.org.slug;
  const shots: string[] = [];

  try {
    const a = await watch(await openContext(browser, base, outside, WIDE));
    const page = a.page;

    await t.step("an empty org shows three first steps, the docs with its slug", async () => {
      await page.goto(`${base}/console#/overview`);
      await page.getByLabel("Email").fill(owner);
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await heading(page, orgName).waitFor();
      const steps = page.getByRole("region", { name: "First steps" });
      await steps.waitFor();
      assertEquals(await steps.getByRole("link").allInnerTexts(), [
        "Invite a colleague",
        "Create a collection",
        "Read the API docs",
      ]);
      assertEquals(
        await steps.getByRole("link", { name: "Read the API docs" }).getAttribute("href"),
        "/docs",
      );
      const curl = await page.getByTestId("curl").innerText();
      assert(curl.includes(`${base}/v1/orgs/${slug}/collections`), curl);
      shots.push(await shot(page, "ux-overview"));
    });

    await t.step("at 1280 px the switcher shows the org's whole name, with no title", async () => {
      const name = page.getByTestId("org-name");
      assertEquals(await name.innerText(), orgName);
      const cut = await name.evaluate((el) => el.scrollWidth > el.clientWidth);
      assertEquals(cut, false, "the name is not cut");
      assertEquals(await page.getByTestId("org-switcher").getAttribute("title"), null);
      assertEquals(await page.getByRole("button", { name: "Menu" }).isVisible(), false);
      assert(await page.getByRole("button", { name: "Sign out" }).isVisible());
      assertEquals(await overflowX(page), 0);
    });

    await t.step("at 375 px the header is compact, the account behind a Menu", async () => {
      await page.setViewportSize(NARROW);
      const header = await page.locator("header.top").boundingBox();
      assert(header && header.height <= 110, `header height ${header?.height}`);
      assertEquals(await overflowX(page), 0, "no horizontal overflow");
      assert(await page.getByRole("link", { name: "Members" }).isVisible());
      const signOut = page.getByRole("button", { name: "Sign out" });
      assertEquals(await signOut.isVisible(), false);
      // The name is cut here if it must be, and then carries a title.
      const name = page.getByTestId("org-name");
      const cut = await name.evaluate((el) => el.scrollWidth > el.clientWidth);
      const title = await page.getByTestId("org-switcher").getAttribute("title");
      assertEquals(title, cut ? orgName : null);
      shots.push(await shot(page, "ux-overview"));
      const menu = page.getByRole("button", { name: "Menu" });
      await menu.click();
      assertEquals(await menu.getAttribute("aria-expanded"), "true");
      await signOut.waitFor();
      assertEquals(await overflowX(page), 0);
      shots.push(await shot(page, "ux-menu"));
      await menu.click();
      await page.setViewportSize(WIDE);
    });

    let inviteToken = "";
    await t.step("the invitation page names the org, the inviter and the role", async () => {
      const inv = await call(base, "POST", `/v1/orgs/${slug}/invitations`, {
        token: o.token,
        body: { email: `new-${id}@example.com`, role: "admin" },
      });
      assertEquals(inv.status, 201, inv.text);
      inviteToken = (inv.body as { token: string }).token;
      for (const size of [NARROW, WIDE]) {
        const b = await watch(await openContext(browser, base, outside, size));
        await b.page.goto(`${base}/console#/accept?token=${inviteToken}`);
        const about = b.page.getByTestId("invitation");
        await about.waitFor();
        const text = await about.innerText();
        for (const part of [orgName, owner, "admin", `new-${id}@example.com`]) {
          assert(text.includes(part), `${part} in ${text}`);
        }
        assert(await b.page.getByLabel("Choose a password").isVisible());
        assertEquals(await overflowX(b.page), 0);
        shots.push(await shot(b.page, "ux-accept"));
        assertEquals(unexpected(b.errors), []);
        await b.page.context().close();
      }
    });

    await t.step("a spent or unknown invitation link says so plainly", async () => {
      const b = await watch(await openContext(browser, base, outside, NARROW));
      await b.page.goto(`${base}/console#/accept/inv_${"x".repeat(40)}`);
      await heading(b.page, "This invitation link no longer works").waitFor();
      const accepted = await call(base, "POST", "/v1/invitations/accept", {
        body: { token: inviteToken, password: PASSWORD },
      });
      assertEquals(accepted.status, 200, accepted.text);
      await b.page.goto(`${base}/console#/accept?token=${inviteToken}`);
      await b.page.reload();
      await heading(b.page, "This invitation link no longer works").waitFor();
      assert(await b.page.getByTestId("invitation-gone").isVisible());
      assertEquals(await b.page.getByLabel("Choose a password").count(), 0);
      shots.push(await shot(b.page, "ux-accept-spent"));
      await b.page.context().close();
    });

    await t.step("sort the documents by up to three fields; the pages follow", async () => {
      const made = await call(base, "POST", `/v1/orgs/${slug}/collections`, {
        token: o.token,
        body: { name: "items" },
      });
      assertEquals(made.status, 201, made.text);
      const docs = Array.from({ length: 12 }, (_, i) => ({
        name: `item ${i}`,
        group: i % 3,
        n: i,
      }));
      const batch = await call(base, "POST", `/v1/orgs/${slug}/collections/items/documents/batch`, {
        token: o.token,
        body: { documents: docs },
      });
      assertEquals(batch.status, 201, batch.text);
      await page.goto(`${base}/console#/data/items`);
      await heading(page, "items").waitFor();
      await page.getByLabel("Per page").selectOption("10");
      await waitUntil(async () => (await ns(page)).length === 10, "a first page of 10");
      assertEquals(await ns(page), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);

      await page.getByRole("button", { name: "+ Sort by a field" }).click();
      await page.getByLabel("Sort field 1", { exact: true }).fill("n");
      await page.getByLabel("Order of sort field 1").selectOption("desc");
      await waitUntil(async () => (await ns(page))[0] === 11, "the largest n first");
      assertEquals(await ns(page), [11, 10, 9, 8, 7, 6, 5, 4, 3, 2]);
      await page.getByRole("button", { name: "Next" }).click();
      await waitUntil(async () => (await ns(page)).length === 2, "page 2");
      assertEquals(await ns(page), [1, 0]);

      // Two keys: group descending, then n ascending; the sort starts again from page 1.
      await page.getByLabel("Sort field 1", { exact: true }).fill("group");
      await page.getByLabel("Sort field 1", { exact: true }).press("Tab");
      await page.getByRole("button", { name: "+ Sort by a field" }).click();
      await page.getByLabel("Sort field 2", { exact: true }).fill("n");
      await page.getByLabel("Sort field 2", { exact: true }).press("Tab");
      await waitUntil(async () => (await ns(page))[0] === 2, "group 2 first");
      assertEquals(await ns(page), [2, 5, 8, 11, 1, 4, 7, 10, 0, 3]);
      assertEquals(await page.getByTestId("page-number").innerText(), "Page 1");
      await page.getByRole("button", { name: "Next" }).click();
      await waitUntil(async () => (await ns(page)).length === 2, "page 2 of that sort");
      assertEquals(await ns(page), [6, 9]);
      await page.getByRole("button", { name: "+ Sort by a field" }).click();
      assertEquals(await page.getByRole("button", { name: "+ Sort by a field" }).count(), 0);
      await page.getByRole("button", { name: "Remove sort field 3" }).click();
    });

    await t.step(
      "add an index, see a unique one refused, drop one after typing its name",
      async () => {
        const indexes = page.getByRole("list", { name: "Indexes of this collection" });
        await page.getByLabel("Index field 1", { exact: true }).fill("name");
        await page.getByLabel("Unique: no two documents").check();
        await page.getByRole("button", { name: "Build index" }).click();
        await indexes.locator('li[data-index="name_1"]').waitFor();
        await page.getByRole("status").getByText("Index name_1 built.").waitFor();

        await page.getByLabel("Index field 1", { exact: true }).fill("group");
        await page.getByRole("button", { name: "+ Another field" }).click();
        await page.getByLabel("Index field 2", { exact: true }).fill("n");
        await page.getByLabel("Direction of index field 2").selectOption("-1");
        await page.getByLabel("Index name (optional)").fill("by_group");
        await page.getByRole("button", { name: "Build index" }).click();
        const compound = indexes.locator('li[data-index="by_group"]');
        await compound.waitFor();
        assert((await compound.innerText()).includes("group ↑, n ↓"), await compound.innerText());

        // Unique over repeated values: refused, worded by its code, nothing built.
        await page.getByLabel("Index field 1", { exact: true }).fill("group");
        await page.getByLabel("Unique: no two documents").check();
        await page.getByRole("button", { name: "Build index" }).click();
        await page.locator('.add-index [role="alert"][data-code="duplicate_key"]').waitFor();
        assertEquals(await indexes.locator("li").count(), 3);
        await page.getByLabel("Unique: no two documents").uncheck();
        shots.push(await shot(page, "ux-collection"));

        await page.getByRole("button", { name: "Drop index by_group" }).click();
        const drop = page.getByRole("button", { name: "Drop index", exact: true });
        assert(await drop.isDisabled(), "disabled until the name is typed");
        await page.getByRole("form", { name: "Drop the index by_group" }).getByLabel(/Type/)
          .fill("by_group");
        await drop.click();
        await compound.waitFor({ state: "detached" });
        const listed = await call(base, "GET", `/v1/orgs/${slug}/collections/items/indexes`, {
          token: o.token,
        });
        assertEquals(
          (listed.body as { items: { name: string }[] }).items.map((i) => i.name),
          ["_id_", "name_1"],
        );
        await page.setViewportSize(NARROW);
        assertEquals(await overflowX(page), 0, "no horizontal overflow at 375 px");
        await page.evaluate("scrollTo(0, 0)");
        shots.push(await shot(page, "ux-collection"));
        await page.setViewportSize(WIDE);
      },
    );

    await t.step("no unexpected console errors, no request beyond the service", () => {
      assertEquals(unexpected(a.errors), []);
      assertEquals(outside, []);
      console.log(`screenshots:\n${shots.join("\n")}`);
    });
  } finally {
    await browser.close();
    await service.stop();
    const client = dbClient();
    await dropService(client, service.env).finally(() => client.close());
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
});
