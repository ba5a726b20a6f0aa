// The services of one server or CLI process, each given what it depends on.
import type { Config } from "./config.js";
import type { Database } from "./db/client.js";
import { PointsService } from "./points/service.js";
import { StoreService } from "./stores/service.js";
import { verifyLedger } from "./ledger/verify.js";
import { WebhookService } from "./webhooks/service.js";
import { WebhookNudge } from "./webhooks/nudge.js";

export interface Services {
  stores: StoreService;
  points: PointsService;
  webhooks: WebhookService;
  /** Rung by services after a change that may have queued a webhook event (the worker listens). */
  webhookNudge: WebhookNudge;
  verify: () => ReturnType<typeof verifyLedger>;
}

export function createServices(db: Database, config: Config): Services {
  const webhookNudge = new WebhookNudge();
  return {
    stores: new StoreService(db.prisma, { dailyLimit: config.DAILY_LIMIT_DEFAULT }),
    points: new PointsService(db.prisma, { timeZone: config.TIME_ZONE, pointCountMax: config.POINT_COUNT_MAX }, webhookNudge),
    webhooks: new WebhookService(db.prisma, { allowPrivate: config.WEBHOOK_ALLOW_PRIVATE }),
    webhookNudge,
    verify: () => verifyLedger(db.prisma),
  };
}
