// A real stampd server on a free port over a fresh database. Its helpers (form, get, json) send
// their requests through Fastify's inject, in this process without a socket; `url` still serves
// real HTTP for the tests where the transport is the point (fetch, a browser, another process).
import { loadConfig, type Config } from "../../src/platform/config.js";
import { startServer, type RunningServer, type ServerOptions } from "../../src/server.js";
import { freshDatabase, type TestDatabase } from "./database.js";

export interface TestServer extends RunningServer {
  config: Config;
  database: TestDatabase;
  /** POSTs a form (as the seed's Python and Ruby examples do) and returns the parsed JSON. */
  form(path: string, params: Record<string, string | number>): Promise<any>;
  /** GETs with a query string and returns the parsed JSON. */
  get(path: string, params?: Record<string, string | number>): Promise<any>;
  /** POSTs JSON and returns the parsed JSON. */
  json(path: string, body: unknown, headers?: Record<string, string>): Promise<any>;
  stop(): Promise<void>;
}

export interface TestServerOptions extends ServerOptions {
  /** Run on this database (of a server closed before, or shared on PostgreSQL) instead of a fresh one. */
  database?: TestDatabase;
}

export async function startTestServer(env: Record<string, string> = {}, options: TestServerOptions = {}): Promise<TestServer> {
  const { database = await freshDatabase(), ...serverOptions } = options;
  const config = loadConfig({ PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent", ...database.env, ...env });
  const server = await startServer(config, serverOptions);
  const call = async (url: string, method: "GET" | "POST", headers: Record<string, string> = {}, payload?: string) =>
    (await server.app.inject({ method, url, headers, payload })).json();
  const query = (params: Record<string, string | number>) => new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]));
  return Object.assign(server, {
    config,
    database,
    form: (path: string, params: Record<string, string | number>) =>
      call(path, "POST", { "content-type": "application/x-www-form-urlencoded" }, query(params).toString()),
    get: (path: string, params: Record<string, string | number> = {}) => call(`${path}?${query(params)}`, "GET"),
    json: (path: string, body: unknown, headers: Record<string, string> = {}) =>
      call(path, "POST", { "content-type": "application/json", ...headers }, JSON.stringify(body)),
    async stop() {
      await server.close();
      await database.drop();
    },
  });
}
