// The console's reads at size (shared/spec/console.md, "Quality"): a store with 10,000 customers
// and 100,000 history rows over the last 30 days, on the embedded database.
// Run: npx tsx bench/console.ts
import { mkdtempSync, rmSync } from "node:fs";
import path from "node:path";
import { Prisma } from "../src/generated/prisma/client.js";
import { loadConfig } from "../src/platform/config.js";
import { startServer } from "../src/server.js";
import { MemberService } from "../src/console/members/service.js";
import { TodayService } from "../src/console/today/service.js";

const MEMBERS = 10_000;
const ROWS_PER_MEMBER = 10;

const dataDir = mkdtempSync(path.resolve("bench-console-"));
const config = loadConfig({ DATA_DIR: dataDir, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "warn" });
const server = await startServer(config, { webhookWorker: false });
try {
  const { db, services } = server;
  const store = await services.stores.create({ name: "Bench cafe", dailyLimit: 1_000_000 });
  const t0 = performance.now();
  await db.query(
    Prisma.sql`INSERT INTO member (phone) SELECT '+821050' || lpad(g::text, 6, '0') FROM generate_series(1, ${MEMBERS}::int) g`,
  );
  await db.query(Prisma.sql`
    INSERT INTO ledger_account (pool_id, member_id, balance)
    SELECT ${store.pool}, m.id, ${ROWS_PER_MEMBER} FROM member m WHERE m.phone LIKE '+821050%'`);
  await db.query(Prisma.sql`
    INSERT INTO ledger_entry (account_id, store_id, kind, delta, balance_after, created_at)
    SELECT a.id, ${store.id}, CASE WHEN i % 2 = 0 THEN 'save' ELSE 'use' END::"EntryKind",
           CASE WHEN i % 2 = 0 THEN 3 ELSE -1 END, i, now() - (random() * interval '30 days')
      FROM ledger_account a CROSS JOIN generate_series(1, ${ROWS_PER_MEMBER}::int) i WHERE a.pool_id = ${store.pool}`);
  await db.query(Prisma.sql`ANALYZE`);
  console.log(`loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const user = { login: "bench", storeId: store.id, poolId: store.pool };
  const members = new MemberService({ db, points: services.points, phones: { region: "KR", foreign: false }, timeZone: config.TIME_ZONE });
  const today = new TodayService(db, config.TIME_ZONE);
  const time = async (name: string, fn: () => Promise<unknown>) => {
    await fn();
    const runs: number[] = [];
    for (let i = 0; i < 20; i++) {
      const start = performance.now();
      await fn();
      runs.push(performance.now() - start);
    }
    runs.sort((a, b) => a - b);
    console.log(`${name.padEnd(24)} median ${runs[10]!.toFixed(1)} ms, max ${runs.at(-1)!.toFixed(1)} ms`);
  };
  await time("search by last 4", () => members.search(user, { last4: "0777", memberNo: 777 }));
  await time("search by phone", () => members.search(user, { phone: "+821050000777" }));
  await time("member page 1", () => members.member(user, 777, 1));
  await time("today and 30 days", () => today.figures(store.id, new Date()));
} finally {
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
}
