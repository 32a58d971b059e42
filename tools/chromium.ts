/**
 * Headless Chromium for the browser tests (tests/browser/), from Debian's `chromium` package.
 * `tests/run.ts` calls `ensureChromium()` when a browser test is among the paths it runs: it
 * installs the package when it is missing and it can (as root, with apt-get), and otherwise
 * says which command to run.
 */

export const CHROMIUM = "/usr/bin/chromium";

/** The command that installs it, as the user should type it. */
export function installCommand(root: boolean): string {
  const sudo = root ? "" : "sudo ";
  return `${sudo}apt-get update && ${sudo}DEBIAN_FRONTEND=noninteractive apt-get install -y chromium`;
}

/** What `ensureChromium` needs from the machine (tests pass their own). */
export interface Machine {
  exists(path: string): Promise<boolean>;
  /** The user id, or null where there is none (Windows). */
  uid(): number | null;
  /** Whether `name` is an executable on PATH. */
  has(name: string): Promise<boolean>;
  /** Run a command with stdin closed and its output shown; rejects unless it succeeds. */
  run(cmd: string, args: string[], env: Record<string, string>): Promise<void>;
}

const isFile = (path: string) => Deno.stat(path).then((s) => s.isFile, () => false);

export const thisMachine: Machine = {
  exists: isFile,
  uid: () => Deno.uid(),
  async has(name) {
    for (const dir of (Deno.env.get("PATH") ?? "").split(":").filter(Boolean)) {
      if (await isFile(`${dir}/${name}`)) return true;
    }
    return false;
  },
  async run(cmd, args, env) {
    const status = await new Deno.Command(cmd, { args, env, stdin: "null" }).spawn().status;
    if (!status.success) {
      throw new Error(`\`${cmd} ${args.join(" ")}\` failed (exit ${status.code})`);
    }
  },
};

/**
 * The path of Chromium, installing Debian's `chromium` first when it is missing and this
 * process is root with apt-get. Throws with the command to run when it cannot.
 */
export async function ensureChromium(
  machine: Machine = thisMachine,
  log: (line: string) => void = console.error,
): Promise<string> {
  if (await machine.exists(CHROMIUM)) return CHROMIUM;
  const root = machine.uid() === 0;
  const missing = `The browser tests need Chromium at ${CHROMIUM}, which is missing.`;
  if (!root || !await machine.has("apt-get")) {
    throw new Error(`${missing} Install it with:\n  ${installCommand(root)}`);
  }
  log(`${missing} Installing Debian's chromium package (once): ${installCommand(true)}`);
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  try {
    await machine.run("apt-get", ["update"], env);
    await machine.run("apt-get", ["install", "-y", "chromium"], env);
  } catch (e) {
    throw new Error(
      `${missing} Installing it failed: ${(e as Error).message}\n` +
        `Install it with:\n  ${installCommand(true)}`,
    );
  }
  if (!await machine.exists(CHROMIUM)) {
    throw new Error(`${missing} apt-get installed chromium, but not at ${CHROMIUM}.`);
  }
  return CHROMIUM;
}

/** The folder of the browser tests. */
export const BROWSER_TESTS = "tests/browser";

/** Whether `deno test` over these arguments runs a browser test (flags are not paths). */
export function runsBrowserTests(args: string[]): boolean {
  return args.some((arg) => {
    if (arg.startsWith("-")) return false;
    const path = arg.replace(/^(\.\/)+/, "").replace(/\/+$/, "");
    return path === "" || path === "." || path === BROWSER_TESTS ||
      BROWSER_TESTS.startsWith(`${path}/`) || path.startsWith(`${BROWSER_TESTS}/`);
  });
}
