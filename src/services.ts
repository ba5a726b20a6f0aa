// The services of one server or CLI process, each given what it depends on.
import type { Config } from "./platform/config.js";
import type { Database } from "./platform/db/client.js";
import { PointsService } from "./stampang/service.js";
import { StoreService } from "./stores/service.js";
import { verifyLedger } from "./ledger/verify.js";
import { StampService } from "./vivoldi/service.js";
import { ApiKeyService } from "./vivoldi/api-keys.js";
import { CardService } from "./vivoldi/cards.js";
import { StampPageService } from "./vivoldi/page/service.js";
import { WebhookService } from "./webhooks/service.js";
import { WebhookNudge } from "./webhooks/nudge.js";
import { ImportService } from "./import-export/import.js";
import { ExportService } from "./import-export/export.js";
import { ImportUploads } from "./import-export/uploads.js";
import { exportSource } from "./import-export/export-source.js";
import { ConsoleUserService } from "./console/users/service.js";
import { ConsoleSessionService } from "./console/users/sessions.js";
import { ExpiryService } from "./expiry/service.js";

export interface Services {
  stores: StoreService;
  points: PointsService;
  stamps: StampService;
  stampPages: StampPageService;
  apiKeys: ApiKeyService;
  cards: CardService;
  webhooks: WebhookService;
  exports: ExportService;
  /** What will expire, and the bringing up to now of accounts read outside the OPEN API. */
  expiry: ExpiryService;
  /** Rung by services after a change that may have queued a webhook event (the worker listens). */
  webhookNudge: WebhookNudge;
  imports: ImportService;
  /** Files of the console's import between their dry run and their confirmation. */
  importUploads: ImportUploads;
  consoleUsers: ConsoleUserService;
  consoleSessions: ConsoleSessionService;
  verify: () => ReturnType<typeof verifyLedger>;
}

/**
 * The most saves and uses committed together: far above what waits at once behind a batch with
 * hundreds of clients, so that every waiting call goes with the next batch (no call waits for more
 * than one); a bound all the same on one transaction's locks and arrays.
 */
const GROUP_COMMIT_MAX_BATCH = 1024;

/**
 * Batches in flight: the embedded database runs one statement at a time, so one; on PostgreSQL,
 * at most its connections.
 */
function groupCommit(db: Database, config: Config) {
  const inFlight = db.kind === "pglite" ? 1 : Math.min(config.GROUP_COMMIT_IN_FLIGHT, config.DB_POOL_SIZE);
  return { inFlight, maxBatch: GROUP_COMMIT_MAX_BATCH };
}

/** Lines of an import file per call of its ledger function. */
const IMPORT_BATCH_LINES = 1000;

/**
 * `clock`: the time of the ledger's calls and of the console's logins, sessions and uploads, which
 * tests move instead of waiting; when absent, the ledger uses the database's clock and the console
 * the system's.
 */
export function createServices(db: Database, config: Config, clock?: () => Date): Services {
  const now = clock ?? (() => new Date());
  const stores = new StoreService(db.prisma, { dailyLimit: config.DAILY_LIMIT_DEFAULT });
  const webhookNudge = new WebhookNudge();
  const phones = { region: config.PHONE_REGION, foreign: config.PHONE_FOREIGN };
  const stamps = new StampService(db, { timeZone: config.TIME_ZONE, publicBaseUrl: config.publicBaseUrl, clock }, webhookNudge);
  const expiry = new ExpiryService(db, { timeZone: config.TIME_ZONE, phones, clock }, webhookNudge);
  return {
    stores,
    points: new PointsService(
      db,
      { timeZone: config.TIME_ZONE, pointCountMax: config.POINT_COUNT_MAX, clock, groupCommit: groupCommit(db, config) },
      webhookNudge,
    ),
    stamps,
    stampPages: new StampPageService(db.prisma, stamps),
    apiKeys: new ApiKeyService(db.prisma, stores),
    cards: new CardService(db, stores),
    webhooks: new WebhookService(db.prisma, { allowPrivate: config.WEBHOOK_ALLOW_PRIVATE }),
    exports: new ExportService(exportSource(db), { phones, timeZone: config.TIME_ZONE }, expiry),
    expiry,
    webhookNudge,
    imports: new ImportService({
      db,
      phones,
      timeZone: config.TIME_ZONE,
      batchSize: IMPORT_BATCH_LINES,
      clock,
    }),
    importUploads: new ImportUploads(db.prisma, now),
    consoleUsers: new ConsoleUserService(db, now),
    consoleSessions: new ConsoleSessionService(db, now),
    verify: () => verifyLedger(db.prisma),
  };
}
