/**
/**
 * Headless Chromium for the browser tests: Debian's `chromium`, which `tests/run.ts` installs
 * when it is missing (tools/chromium.ts), driven by playwright-core; contexts that may reach only
 * the service, pages whose console errors are kept, and screenshots under results/screenshots/
 * (git-ignored).
 */
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { CHROMIUM } from "../../tools/chromium.ts";
import { ROOT } from "../../tools/lib/spawn.ts";

export const SHOTS = `${ROOT}results/screenshots`;
export const WIDE = { width: 1280, height: 860 };
export const NARROW = { width: 375, height: 760 };

/** Launch it with a fresh, temporary user-data folder; fails with the reason it is missing. */
export function launchChromium(): Promise<Browser> {
  const missing = Deno.env.get("CHROMIUM_ERROR");
  if (missing) throw new Error(missing);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/** What one page printed to its console as errors. */
export interface Watched {
  page: Page;
  errors: string[];
}

/** A context that may reach only `base`; `outside` collects every other URL it asked for. */
export async function openContext(
  browser: Browser,
  base: string,
  outside: string[],
  viewport: { width: number; height: number },
): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport });
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(`${base}/`) || url.startsWith("data:")) return route.continue();
    outside.push(url);
    return route.abort("blockedbyclient");
  });
  return context;
}

export async function watch(context: BrowserContext): Promise<Watched> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(`uncaught: ${e.message}`));
  return { page, errors };
}

/** A screenshot named `<name>-<width>.png`; returns its path. */
export async function shot(page: Page, name: string): Promise<string> {
  const path = `${SHOTS}/${name}-${page.viewportSize()?.width}.png`;
  await page.screenshot({ path });
  return path;
}

export const heading = (page: Page, name: string) =>
  page.getByRole("heading", { level: 1, name, exact: true });

/** How far the page is wider than the viewport (0: no horizontal overflow). */
export function overflowX(page: Page): Promise<number> {
  return page.evaluate(
    "document.documentElement.scrollWidth - document.documentElement.clientWidth",
  ) as Promise<number>;
}
