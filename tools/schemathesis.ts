/**
 * Schemathesis (the OpenAPI fuzzer of tests/resilience/fuzz.test.ts), pinned, in a Python venv
 * in the cache folder outside the checkout (like the embedded FerretDB). `tests/run.ts` calls
 * `ensureSchemathesis()` and hands the result to the tests; `deno run -A tools/schemathesis.ts`
 * installs it by hand and prints its path.
 */
import { cacheRoot, exists } from "../src/platform/embedded/ferretdb.ts";

export const SCHEMATHESIS_VERSION = "4.32.5";

export function schemathesisVenv(): string {
  return `${cacheRoot()}/orgservice/venv-schemathesis-${SCHEMATHESIS_VERSION}`;
}

async function run(cmd: string, args: string[]): Promise<void> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  } catch (e) {
    throw new Error(`\`${cmd}\` could not be run (${(e as Error).message})`);
  }
  if (!out.success) {
    const text = new TextDecoder().decode(out.stderr) || new TextDecoder().decode(out.stdout);
    throw new Error(`\`${cmd} ${args.join(" ")}\` failed (exit ${out.code}):\n${text.trim()}`);
  }
}

/**
 * The path of the `schemathesis` executable, installing it first if the cache lacks it.
 * Throws with the reason when Python, venv or pip cannot do it.
 */
export async function ensureSchemathesis(log: (line: string) => void = console.error) {
  const dir = schemathesisVenv();
  const bin = `${dir}/bin/schemathesis`;
  const marker = `${dir}/.installed`;
  if (await exists(marker) && await exists(bin)) return bin;
  log(`installing schemathesis ${SCHEMATHESIS_VERSION} into ${dir} (once)`);
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(dir.slice(0, dir.lastIndexOf("/")), { recursive: true });
  const python = Deno.env.get("PYTHON") ?? "python3";
  try {
    await run(python, ["-m", "venv", dir]);
    await run(`${dir}/bin/python`, [
      "-m",
      "pip",
      "install",
      "--disable-pip-version-check",
      "--quiet",
      `schemathesis==${SCHEMATHESIS_VERSION}`,
    ]);
  } catch (e) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw new Error(
      `Could not install schemathesis ${SCHEMATHESIS_VERSION} into ${dir}: ` +
        `${(e as Error).message}\nIt needs Python 3.9+ with the venv module ` +
        "(Debian: apt-get install python3-venv) and access to PyPI",
    );
  }
  await Deno.writeTextFile(marker, `${SCHEMATHESIS_VERSION}\n`);
  return bin;
}

if (import.meta.main) console.log(await ensureSchemathesis());
