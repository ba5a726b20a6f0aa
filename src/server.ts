// Starts stampd: open and migrate the database, create the demo store on a first start, serve.
import { existsSync } from "node:fs";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { Config } from "./platform/config.js";
import { openDatabase, pgliteDir, type Database } from "./platform/db/client.js";
import { migrate, readMigrations } from "./platform/db/migrate.js";
import { lockEmbedded, removeControlFile, writeControlFile } from "./platform/db/embedded-lock.js";
import { createServices, type Services } from "./services.js";
import { buildApp } from "./app.js";
import { newSecret } from "./platform/secrets.js";
import { WebhookWorker, type WorkerOptions } from "./webhooks/worker.js";
import { ExpirySweeper, type SweeperOptions } from "./expiry/sweeper.js";
import { createRegistry, sweptExpireRows, webhookDeliveries } from "./platform/metrics.js";
import { startLogger } from "./platform/log.js";

export interface RunningServer {
  app: FastifyInstance;
  db: Database;
  services: Services;
  url: string;
  /** The expiry sweeper of this server; null when EXPIRY_SWEEP_SECONDS is 0. */
  sweeper: ExpirySweeper | null;
  /**
   * Stops the server (see below). With `cancelStatementsAfterMs`, database statements still
   * running that long after the start are cancelled (Database.cancelStatements), so that the
   * close ends within the caller's grace period with every request answered.
   */
  close(options?: { cancelStatementsAfterMs?: number }): Promise<void>;
}

export interface DemoStore {
  id: number;
  auth_code: string;
  /** A stamp API key of the demo store, and a ten-stamp card of it. */
  api_key: string;
  card_idx: number;
}

/** The demo store of a first start: an OPEN API store with a stamp API key and card. */
async function createDemo(services: Services): Promise<DemoStore> {
  const store = await services.stores.create({ name: "Demo store", loginId: "demo" });
  const { key } = await services.apiKeys.create({ store: store.id, plan: "personal", label: "demo" });
  const card = await services.cards.create({
    store: store.id,
    name: "Demo card",
    title: "Collect 10 stamps for a free coffee",
    maxStamps: 10,
  });
  return { id: store.id, auth_code: store.auth_code, api_key: key, card_idx: card.cardIdx };
}

export interface ServerOptions {
  onDemoStore?: (demo: DemoStore, server: RunningServer) => void;
  /** Settings of the webhook delivery worker (tests shorten its timings); false runs none. */
  webhookWorker?: Omit<WorkerOptions, "allowPrivate" | "log"> | false;
  /** Settings of the expiry sweeper (tests shorten its interval, size its steps); false runs none. */
  expirySweeper?: Partial<Pick<SweeperOptions, "intervalMs" | "stepMs" | "firstLimit" | "maxLimit">> | false;
  /** The time of the ledger's calls and the console's logins and sessions; the database's and the system's when absent (tests move it). */
  clock?: () => Date;
}

/** How long a first start on the embedded database took at most on a busy two-core machine (docs/operations.md). */
const FIRST_START_S = 30;

/** What a start is about to open, said before it does: creating an embedded database takes a while. */
function openingMessage(config: Config): string {
  if (config.DATABASE_URL) {
    const url = new URL(config.DATABASE_URL);
    return `connecting to PostgreSQL at ${url.host}${url.pathname}`;
  }
  const dir = pgliteDir(config.DATA_DIR);
  return existsSync(path.join(dir, "PG_VERSION"))
    ? `opening the embedded database in ${dir}`
    : `creating the embedded database in ${dir} (a first start takes up to ${FIRST_START_S} s)`;
}

/** Applies pending migrations and says which. */
async function migrateAndSay(db: Database, log: Logger): Promise<void> {
  const applied = await migrate(db);
  if (applied.length > 0) log.info({ migrations: applied }, `applied ${applied.length} migrations: ${applied.join(", ")}`);
  else log.info(`database schema up to date (${readMigrations().length} migrations)`);
}

export async function startServer(config: Config, hooks: ServerOptions = {}): Promise<RunningServer> {
  const log = startLogger(config.LOG_LEVEL);
  const release = config.DATABASE_URL ? null : await lockEmbedded(config.DATA_DIR);
  log.info(openingMessage(config));
  const opening = Date.now();
  const db = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, poolSize: config.DB_POOL_SIZE });
  log.info(`database open in ${Date.now() - opening} ms`);
  try {
    await migrateAndSay(db, log);
    const clock = hooks.clock ?? (() => new Date());
    const services = createServices(db, config, hooks.clock);
    const demo = db.kind === "pglite" && (await services.stores.list()).length === 0 ? await createDemo(services) : null;
    if (demo) log.info({ store: demo.id }, `created the demo store (id ${demo.id}) with an API key and a stamp card`);
    const controlToken = release ? newSecret(32) : undefined;
    const app = await buildApp({ config, db, services, metrics: createRegistry(), controlToken, clock });
    await app.listen({ port: config.PORT, host: config.HOST });
    const address = app.server.address();
    const port = typeof address === "object" && address ? address.port : config.PORT;
    const url = `http://127.0.0.1:${port}`;
    if (controlToken) writeControlFile(config.DATA_DIR, { pid: process.pid, url, token: controlToken });
    const worker =
      hooks.webhookWorker === false
        ? null
        : new WebhookWorker(db.prisma, {
            allowPrivate: config.WEBHOOK_ALLOW_PRIVATE,
            log: app.log,
            onDelivery: (r) => webhookDeliveries.inc({ outcome: r.outcome }),
            ...hooks.webhookWorker,
          });
    const unlisten = worker ? services.webhookNudge.listen(() => worker.nudge()) : () => {};
    worker?.start();
    const sweeper =
      hooks.expirySweeper === false || config.EXPIRY_SWEEP_SECONDS === 0
        ? null
        : new ExpirySweeper(db, {
            intervalMs: config.EXPIRY_SWEEP_SECONDS * 1000,
            clock: hooks.clock,
            onQueued: () => services.webhookNudge.ring(),
            onExpired: (step) => sweptExpireRows.inc(step.rows),
            log: app.log,
            ...hooks.expirySweeper,
          });
    sweeper?.start();

    const server: RunningServer = {
      app,
      db,
      services,
      url,
      sweeper,
      // The one place that stops everything, in order: CLI commands stop asking this server; it
      // stops accepting and lets the requests in flight finish (they still write); background
      // workers stop next, after the requests and before the database they both use; then the
      // database closes and the embedded lock goes.
      async close({ cancelStatementsAfterMs } = {}) {
        if (release) removeControlFile(config.DATA_DIR);
        const cancel = cancelStatementsAfterMs === undefined ? undefined : setTimeout(() => db.cancelStatements(), cancelStatementsAfterMs);
        try {
          await app.close();
          await sweeper?.stop();
          unlisten();
          await worker?.stop();
        } finally {
          clearTimeout(cancel);
          await db.close();
          await release?.();
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
