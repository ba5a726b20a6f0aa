// The console's pages at size (shared/spec/console.md, "Quality"; docs/performance.md, "The
// console's pages"): a store with 10,000 customers and 100,000 history rows, all of them in the
// last 30 days (the start page's worst case), on the embedded database. Each page is fetched over
// HTTP by a logged-in owner, 20 times after one warm-up; then the reads behind them, alone.
// Run: npx tsx bench/console.ts. Knobs: BENCH_ANALYZE=1 (gather planner statistics after
// loading: stampd itself never does on the embedded database, so by default it is not done).
import { mkdtempSync, rmSync } from "node:fs";
import path from "node:path";
import { Prisma } from "../src/generated/prisma/client.js";
import { loadConfig } from "../src/platform/config.js";
import { startServer } from "../src/server.js";
import { MemberService } from "../src/console/members/service.js";
import { TodayService } from "../src/console/today/service.js";

const MEMBERS = 10_000;
const ROWS_PER_MEMBER = 10;
const RUNS = 20;

// Beside the checkout, on the disk a real DATA_DIR would use (not a tmpfs /tmp).
const dataDir = mkdtempSync(path.resolve("bench-console-"));
const config = loadConfig({ DATA_DIR: dataDir, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "warn" });
const server = await startServer(config, { webhookWorker: false });

/** Median and largest of RUNS timings of `fn`, after one warm-up, in ms. */
async function time(name: string, fn: () => Promise<unknown>): Promise<void> {
  await fn();
  const runs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await fn();
    runs.push(performance.now() - start);
  }
  runs.sort((a, b) => a - b);
  console.log(`| ${name} | ${runs[RUNS / 2]!.toFixed(1)} ms | ${runs.at(-1)!.toFixed(1)} ms |`);
}

/** The cookies a response sets, as a Cookie header's pairs. */
const cookiesOf = (res: Response) => res.headers.getSetCookie().map((c) => c.split(";")[0]!);

/** Logs `login` in through the login page; the session's Cookie header. */
async function logIn(login: string, password: string): Promise<string> {
  const page = await fetch(`${server.url}/console/login`);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
  const answer = await fetch(`${server.url}/console/login`, {
    method: "POST",
    headers: { cookie: cookiesOf(page).join("; "), "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: csrf, login, password }),
    redirect: "manual",
  });
  if (answer.status !== 303) throw new Error(`login answered ${answer.status}`);
  return [...cookiesOf(page), ...cookiesOf(answer)].join("; ");
}

try {
  const { db, services } = server;
  const store = await services.stores.create({ name: "Bench cafe", dailyLimit: 1_000_000 });
  const loading = performance.now();
  await db.query(
    Prisma.sql`INSERT INTO member (phone) SELECT '+821050' || lpad(g::text, 6, '0') FROM generate_series(1, ${MEMBERS}::int) g`,
  );
  await db.query(Prisma.sql`
    INSERT INTO ledger_account (pool_id, member_id, balance)
    SELECT ${store.pool}, m.id, ${ROWS_PER_MEMBER} FROM member m WHERE m.phone LIKE '+821050%'`);
  // Five saves of 3 and five uses of 1 per customer (a balance of 10), at random times of the 30 days.
  await db.query(Prisma.sql`
    INSERT INTO ledger_entry (account_id, store_id, kind, delta, balance_after, created_at)
    SELECT a.id, ${store.id}, CASE WHEN i % 2 = 0 THEN 'save' ELSE 'use' END::"EntryKind",
           CASE WHEN i % 2 = 0 THEN 3 ELSE -1 END, i, now() - (random() * interval '30 days')
      FROM ledger_account a CROSS JOIN generate_series(1, ${ROWS_PER_MEMBER}::int) i WHERE a.pool_id = ${store.pool}`);
  if (process.env.BENCH_ANALYZE === "1") await db.query(Prisma.sql`ANALYZE`);
  console.log(`${MEMBERS} customers, ${MEMBERS * ROWS_PER_MEMBER} rows loaded in ${((performance.now() - loading) / 1000).toFixed(1)} s\n`);

  const { password } = await services.consoleUsers.create({ store: store.id, login: "bench-owner", role: "owner" });
  const cookie = await logIn("bench-owner", password);
  const [member] = await db.query<{ id: number }>(Prisma.sql`SELECT id FROM member WHERE phone = '+821050000777'`);
  const memberNo = member!.id;
  const page = (path: string) => async () => {
    const res = await fetch(`${server.url}${path}`, { headers: { cookie } });
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
    await res.text();
  };
  console.log("| what | median | largest |\n|---|---|---|");
  await time("page `/console` (today, 30 days' chart)", page("/console"));
  await time("page `/console/members?q=0777` (last 4)", page("/console/members?q=0777"));
  await time("page `/console/members?q=010-5000-0777`", page("/console/members?q=010-5000-0777"));
  await time(`page \`/console/members/<no>\``, page(`/console/members/${memberNo}`));
  await time("page `/console/counter`", page("/console/counter"));
  // A card with 20 stamps issued (the cards page's QR codes are images of their own, not timed).
  const card = await services.cards.create({ store: store.id, name: "Coffee", title: "10 coffees, one free", maxStamps: 10 });
  for (let i = 0; i < 20; i++) {
    const phone = `010-5000-${String(i).padStart(4, "0")}`;
    await services.stamps.issueOfStore(
      { storeId: store.id, login: "bench-owner" },
      { cardIdx: card.cardIdx, phone, userName: null, months: 12 },
    );
  }
  await time("page `/console/cards` (a card, 20 stamps)", page("/console/cards"));
  await time("page `/console/data`", page("/console/data"));
  await time("page `/console/settings`", page("/console/settings"));

  const user = { login: "bench-owner", storeId: store.id, poolId: store.pool };
  const members = new MemberService({
    db,
    points: services.points,
    expiry: services.expiry,
    phones: { region: "KR", foreign: false },
    timeZone: config.TIME_ZONE,
  });
  const today = new TodayService(db, config.TIME_ZONE);
  await time("read: today and 30 days", () => today.figures(store.id, new Date()));
  await time("read: search by last 4", () => members.search(user, { last4: "0777", memberNo: 777 }));
  await time("read: search by phone", () => members.search(user, { phone: "+821050000777" }));
  await time("read: a customer's page", () => members.member(user, memberNo, 1));
} finally {
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
}
