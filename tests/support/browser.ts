/**
 * Headless Chromium for the browser tests: Debian's `chromium`, which `tests/run.ts` installs
 * when it is missing (tools/chromium.ts), driven by playwright-core.
 */
import { type Browser, chromium } from "playwright-core";
import { CHROMIUM } from "../../tools/chromium.ts";

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
