// Starts stampd: open and migrate the database, create the demo store on a first start, serve.
import type { FastifyInstance } from "fastify";
import type { Config } from "./config.js";
import { openDatabase, type Database } from "./db/client.js";
import { migrate } from "./db/migrate.js";
import { lockEmbedded, removeControlFile, writeControlFile } from "./db/embedded-lock.js";
import { createServices, type Services } from "./services.js";
import { buildApp } from "./app.js";
import { newSecret } from "./secrets.js";
import { WebhookWorker, type WorkerOptions } from "./webhooks/worker.js";

export interface RunningServer {
  app: FastifyInstance;
  db: Database;
  services: Services;
  url: string;
  close(): Promise<void>;
}

export interface DemoStore {
  id: number;
  auth_code: string;
}

export interface ServerOptions {
  onDemoStore?: (demo: DemoStore, server: RunningServer) => void;
  /** Settings of the webhook delivery worker (tests shorten its timings); false runs none. */
  webhookWorker?: Omit<WorkerOptions, "allowPrivate" | "log"> | false;
}

export async function startServer(config: Config, hooks: ServerOptions = {}): Promise<RunningServer> {
  const release = config.DATABASE_URL ? null : await lockEmbedded(config.DATA_DIR);
  const db = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, poolSize: config.DB_POOL_SIZE });
  try {
    await migrate(db);
    const services = createServices(db, config);
    const demo = db.kind === "pglite" && (await services.stores.list()).length === 0
      ? await services.stores.create({ name: "Demo store", loginId: "demo" })
      : null;
    const controlToken = release ? newSecret(32) : undefined;
    const app = await buildApp({ config, db, services, controlToken });
    await app.listen({ port: config.PORT, host: config.HOST });
    const address = app.server.address();
    const port = typeof address === "object" && address ? address.port : config.PORT;
    const url = `http://127.0.0.1:${port}`;
    if (controlToken) writeControlFile(config.DATA_DIR, { pid: process.pid, url, token: controlToken });
    const worker = hooks.webhookWorker === false
      ? null
      : new WebhookWorker(db.prisma, { allowPrivate: config.WEBHOOK_ALLOW_PRIVATE, log: app.log, ...hooks.webhookWorker });
    const unlisten = worker ? services.webhookNudge.listen(() => worker.nudge()) : () => {};
    worker?.start();

    const server: RunningServer = {
      app,
      db,
      services,
      url,
      async close() {
        await app.close();
        unlisten();
        await worker?.stop();
        await db.close();
        if (release) {
          removeControlFile(config.DATA_DIR);
          await release();
        }
      },
    };
    if (demo) hooks.onDemoStore?.(demo, server);
    return server;
  } catch (err) {
    await db.close();
    await release?.();
    throw err;
  }
}
