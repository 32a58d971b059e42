/** A second embedded FerretDB for a test (another deployment, or one to stop and restart). */
import { startFerretDB } from "../../src/platform/embedded/ferretdb.ts";

export interface TestServer {
  readonly uri: string;
  readonly port: number;
  readonly dataDir: string;
  /** Stop it (its data stays for `restart`). Safe to call twice. */
  stop(): Promise<void>;
  /** Start it again on the same port over the same data. */
  restart(): Promise<void>;
  /** `await using`: stop it and remove its data folder. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Start a FerretDB of its own in a fresh temporary folder, quiet unless it fails to start. */
export async function startTestServer(prefix = "orgservice-b-"): Promise<TestServer> {
  const dataDir = await Deno.makeTempDir({ prefix });
  const start = (port?: number) => startFerretDB({ dataDir, port, log: () => {} });
  let server = await start();
  return {
    get uri() {
      return server.uri;
    },
    get port() {
      return server.port;
    },
    dataDir,
    stop: () => server.stop(),
    async restart() {
      await server.stop();
      server = await start(server.port);
    },
    async [Symbol.asyncDispose]() {
      await server.stop();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}
