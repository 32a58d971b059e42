/**
 * The client package (`deno task build:client`, tools/build-client.ts) as a frontend gets it:
 * built, then installed with `npm` into a fresh Node project beside `hono` (and whatever else
 * the caller lists), as the README tells a frontend team to.
 */
import { ROOT } from "../../tools/lib/spawn.ts";

export interface InstalledClient {
  /** The Node project: package.json, node_modules/@orgservice/client, node_modules/hono. */
  project: string;
  /** Where the package was built. */
  dist: string;
  /** Its package.json. */
  manifest: { name: string; version: string; peerDependencies: Record<string, string> };
}

export async function sh(
  cmd: string,
  args: string[],
  cwd: string,
  timeoutMs = 300_000,
): Promise<string> {
  const out = await new Deno.Command(cmd, {
    args,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: {
      npm_config_update_notifier: "false",
      npm_config_fund: "false",
      npm_config_audit: "false",
    },
    signal: AbortSignal.timeout(timeoutMs),
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  if (!out.success) {
    throw new Error(
      `\`${cmd} ${args.join(" ")}\` failed (exit ${out.code}):\n${stdout}\n${stderr}`,
    );
  }
  return stdout + stderr;
}

/** Build the package into `dir`/dist (with the task) and install it into `dir`/app. */
export async function installClientPackage(
  dir: string,
  more: string[] = [],
): Promise<InstalledClient> {
  const dist = `${dir}/dist/client`;
  await sh(Deno.execPath(), ["task", "--quiet", "build:client", dist], ROOT);
  const manifest = JSON.parse(await Deno.readTextFile(`${dist}/package.json`));
  const project = `${dir}/app`;
  await Deno.mkdir(project, { recursive: true });
  await Deno.writeTextFile(
    `${project}/package.json`,
    JSON.stringify({ name: "frontend", private: true, type: "module" }, null, 2),
  );
  // --install-links: a copy of the folder, as `npm pack` would make it (a symlink would find
  // no `hono` beside the package).
  await sh("npm", [
    "install",
    "--no-audit",
    "--no-fund",
    "--install-links",
    dist,
    `hono@${manifest.peerDependencies.hono}`,
    ...more,
  ], project);
  return { project, dist, manifest };
}
