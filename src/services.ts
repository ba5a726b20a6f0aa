// The services of one server or CLI process, each given what it depends on.
import type { Config } from "./config.js";
import type { Database } from "./db/client.js";
import { PointsService } from "./points/service.js";
import { StoreService } from "./stores/service.js";
import { verifyLedger } from "./ledger/verify.js";

export interface Services {
  stores: StoreService;
  points: PointsService;
  verify: () => ReturnType<typeof verifyLedger>;
}

export function createServices(db: Database, config: Config): Services {
  return {
    stores: new StoreService(db.prisma, { dailyLimit: config.DAILY_LIMIT_DEFAULT }),
    points: new PointsService(db.prisma, { timeZone: config.TIME_ZONE, pointCountMax: config.POINT_COUNT_MAX }),
    verify: () => verifyLedger(db.prisma),
  };
}
