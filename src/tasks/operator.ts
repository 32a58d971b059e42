/**
 * `deno task operator add|remove <email>`: grant or revoke the platform role `operator`
 * (docs/operating.md, "Operators"). The only way to change it: there is no HTTP route for it. The
 * user must exist. Exit code 0 when the user has (add) or lacks (remove) the role afterwards, 1
 * when no user has the email, 64 on a usage error. Running instances see the change within their
 * cache period (at most 5 s).
 */
import { setOperator } from "../access/operators.ts";
import { openTask, parseArgs } from "./cli.ts";

const USAGE = "usage: deno task operator add|remove <email>";

export async function main(args: string[], env = Deno.env.toObject()): Promise<number> {
  const { flags, positional } = parseArgs(args);
  const [action, email] = positional;
  if (flags.size || positional.length !== 2 || (action !== "add" && action !== "remove")) {
    console.error(USAGE);
    return 64;
  }
  const task = await openTask(env);
  try {
    const on = action === "add";
    const { user, changed } = await setOperator(task.deps, email, on);
    if (!user) {
      console.error(`no user with the email ${email}: they sign up or are invited first`);
      return 1;
    }
    const what = on
      ? changed ? "is now an operator" : "was already an operator"
      : changed
      ? "is no longer an operator"
      : "was not an operator";
    console.log(`${user.email} (${user.id}) ${what}`);
    return 0;
  } finally {
    await task.close();
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
