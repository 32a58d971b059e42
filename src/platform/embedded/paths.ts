/** Folders and files shared by the parts of the embedded database. */

/** The folder for what is built or installed once per machine, outside the checkout. */
export function cacheRoot(): string {
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  const home = Deno.env.get("HOME");
  if (xdg) return xdg;
  if (home) return `${home}/.cache`;
  return `${Deno.cwd()}/.data/cache`;
}

export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * As root, the embedded PostgreSQL runs as a system user of its own (`orgservice-db`, created
 * when absent), who must be able to reach its data folder:
 * give the folder itself search permission for others, and fail clearly when a folder above it
 * is private (changing folders we did not make is not ours to do).
 */
export async function openToClusterOwner(dataDir: string): Promise<void> {
  if (Deno.uid() !== 0) return;
  await Deno.chmod(dataDir, 0o711);
  let dir = dataDir;
  while (dir.lastIndexOf("/") > 0) {
    dir = dir.slice(0, dir.lastIndexOf("/"));
    const { mode } = await Deno.stat(dir);
    if (mode !== null && (mode & 0o001) === 0) {
      throw new Error(
        `The embedded PostgreSQL refuses to run as root and runs as the system user ` +
          `orgservice-db, who cannot ` +
          `reach ${dataDir}: ${dir} is private. Set DATA_DIR to a folder others can reach ` +
          `(for example under /var/lib), run as a regular user, or set MONGO_URI`,
      );
    }
  }
}
