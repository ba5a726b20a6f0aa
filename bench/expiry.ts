// Expiry at size (shared/spec/expiry.md; docs/performance.md, "Expiry"), over real HTTP like the
// other benches:
// 1. A save and a use on an account with 1,000 open lots against an account with a single lot,
//    on the embedded database and on PostgreSQL, alternating in each round which goes first. The
//    uses are small against the lots (FEFO takes them from the first lot), so the large account
//    keeps its 1,000 lots (and one more per round's save); each round's small account is a fresh
//    member with one lot, so it has one at its use and one at its save (the use comes first).
// 2. The sweeper expiring 100,000 due lots on the embedded database (a 100,000-line import into a
//    pool with a period of one day, then the server's clock moved past the lots' end), while a
//    client (a process of its own) calls /api/open/balance in a loop: the sweep's time, its steps, and the client's
//    latencies during it against before it. Then `verify` over the whole ledger.
// Run: npx tsx bench/expiry.ts. Knobs: BENCH_ROUNDS (rounds of 1., default 200; 0 skips it), BENCH_LOTS (the
// large account's lots, 1000), BENCH_SWEEP_LOTS (2., 100000; 0 skips it), BENCH_PG (the server to
// make a scratch database on; default the local one; BENCH_PG=none skips PostgreSQL),
// BENCH_SWEEP_CAP_S (2. is stopped after this long, default 600, and says how far it got),
// BENCH_SQL (a file of SQL run on each database first, to try a change to the ledger's functions).
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg } from "node:os";
import path from "node:path";
import pg from "pg";
import { Prisma } from "../src/generated/prisma/client.js";
import { loadConfig } from "../src/platform/config.js";
import { startServer, type RunningServer } from "../src/server.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);
const LOTS = Number(process.env.BENCH_LOTS ?? 1000);
const SWEEP_LOTS = Number(process.env.BENCH_SWEEP_LOTS ?? 100_000);
/** SQL run on each database before measuring (to try a change to the ledger's functions). */
const TRY_SQL = process.env.BENCH_SQL ? readFileSync(process.env.BENCH_SQL, "utf8") : null;
/** Part 2 stops the sweep after this long and reports how far it got. */
const SWEEP_CAP_S = Number(process.env.BENCH_SWEEP_CAP_S ?? 600);
const SERVER_PG = process.env.BENCH_PG ?? "postgresql://postgres@127.0.0.1:5432/postgres";
/** Rounds left out of the figures at the start (plans prepared, caches warm). */
const WARM_UP = 10;
const DAY_MS = 86_400_000;

/** The reading client: GETs its argument in a loop until its standard input ends, then prints the latencies (ms) as JSON. */
const READER = `
let stop = false;
process.stdin.on("end", () => (stop = true)).resume();
const latencies = [];
while (!stop) {
  const started = performance.now();
  const answer = await (await fetch(process.argv[1])).json();
  if (!answer.result) throw new Error("balance failed: " + JSON.stringify(answer));
  latencies.push(performance.now() - started);
}
process.stdout.write(JSON.stringify(latencies));
`;

type Store = { id: number; auth_code: string };

// Beside the checkout, on the disk a real DATA_DIR would use (not a tmpfs /tmp).
const workDir = mkdtempSync(path.resolve("bench-expiry-"));

const load = () => loadavg()[0]!.toFixed(2);
const ms = (n: number) => `${n.toFixed(2)} ms`;
const median = (xs: number[]) => quantile(xs, 0.5);
function quantile(xs: number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** A scratch database on BENCH_PG: its URL, and how to drop it. */
async function scratchPostgres(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `stampd_bench_expiry_${process.pid}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: SERVER_PG });
    await c.connect();
    await c.query(sql);
    await c.end();
  };
  await admin(`CREATE DATABASE ${name}`);
  return {
    url: Object.assign(new URL(SERVER_PG), { pathname: `/${name}` }).toString(),
    drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function start(env: Record<string, string>, clock?: () => Date): Promise<RunningServer> {
  // The server's own sweeper is left idle (an hour between sweeps): part 2 runs its sweeps itself.
  const config = loadConfig({ PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "warn", EXPIRY_SWEEP_SECONDS: "3600", ...env });
  const server = await startServer(config, { webhookWorker: false, clock });
  if (TRY_SQL) await server.db.session((s) => s.exec(TRY_SQL));
  return server;
}

/** POSTs an OPEN API call over HTTP; fails unless it succeeds. */
async function call(server: RunningServer, store: Store, op: string, params: Record<string, string | number>): Promise<void> {
  const body = new URLSearchParams({ id: String(store.id), auth_code: store.auth_code, device: "openapi" });
  for (const [k, v] of Object.entries(params)) body.set(k, String(v));
  const answer = (await (await fetch(`${server.url}/api/open/${op}`, { method: "POST", body })).json()) as { result: boolean };
  if (!answer.result) throw new Error(`${op} failed: ${JSON.stringify(answer)}`);
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/** Part 1 on one database. */
async function manyLots(name: string, env: Record<string, string>): Promise<void> {
  const server = await start(env);
  try {
    const store = await server.services.stores.create({ name: "Bench cafe", unit: "point", expiryDays: 365, dailyLimit: 100_000_000 });
    const large = "010-7000-0000";
    const seeding = performance.now();
    for (let i = 0; i < LOTS; i++) await call(server, store, "save", { number: large, count: 1000 });
    const rounds = WARM_UP + ROUNDS;
    const small = (i: number) => `010-7001-${String(i).padStart(4, "0")}`;
    for (let i = 0; i < rounds; i++) await call(server, store, "save", { number: small(i), count: 1000 });
    const [lots] = await server.db.query<{ n: number }>(
      Prisma.sql`SELECT count(*)::int AS n FROM ledger_lot l JOIN ledger_account a ON a.id = l.account_id
                  JOIN member m ON m.id = a.member_id WHERE m.phone = '+821070000000' AND l.remaining > 0`,
    );
    console.log(
      `\n${name}: ${lots!.n} open lots on the large account, ${rounds} one-lot accounts, seeded in ${((performance.now() - seeding) / 1000).toFixed(1)} s (load ${load()})`,
    );

    const t = { saveLarge: [] as number[], saveSmall: [] as number[], useLarge: [] as number[], useSmall: [] as number[] };
    for (let i = 0; i < rounds; i++) {
      const onLarge = async () => {
        const use = await timed(() => call(server, store, "use", { number: large, count: 1 }));
        const save = await timed(() => call(server, store, "save", { number: large, count: 1000 }));
        if (i >= WARM_UP) {
          t.useLarge.push(use);
          t.saveLarge.push(save);
        }
      };
      const onSmall = async () => {
        const use = await timed(() => call(server, store, "use", { number: small(i), count: 1 }));
        const save = await timed(() => call(server, store, "save", { number: small(i), count: 1000 }));
        if (i >= WARM_UP) {
          t.useSmall.push(use);
          t.saveSmall.push(save);
        }
      };
      if (i % 2 === 0) await onLarge().then(onSmall);
      else await onSmall().then(onLarge);
    }
    console.log(`| database | what | ${LOTS.toLocaleString("en")} lots (median) | one lot (median) | ratio | p99 ${LOTS} / one | load |`);
    console.log("|---|---|---|---|---|---|---|");
    for (const [what, many, one] of [
      ["save", t.saveLarge, t.saveSmall],
      ["use", t.useLarge, t.useSmall],
    ] as const) {
      const ratio = median(many) / median(one);
      console.log(
        `| ${name} | ${what} | ${ms(median(many))} | ${ms(median(one))} | **${ratio.toFixed(2)}x** | ${ms(quantile(many, 0.99))} / ${ms(quantile(one, 0.99))} | ${load()} |`,
      );
    }
  } finally {
    await server.close();
  }
}

/** Part 2: the sweeper through SWEEP_LOTS due lots on the embedded database, a client reading meanwhile. */
async function sweepAtSize(): Promise<void> {
  const clock = { now: new Date() };
  const server = await start({ DATA_DIR: mkdtempSync(path.join(workDir, "sweep-")) }, () => clock.now);
  try {
    const { services, db } = server;
    const store = await services.stores.create({ name: "Bench cafe", unit: "point", expiryDays: 1, dailyLimit: 100_000_000 });
    const lines = Array.from(
      { length: SWEEP_LOTS },
      (_, i) => `010-${2000 + Math.floor(i / 10_000)}-${String(i % 10_000).padStart(4, "0")},${(i % 50) + 1}`,
    );
    const importing = performance.now();
    // Imported now, at the server's clock (still the real time): each line is a lot that lapses at the end of tomorrow.
    await services.imports.importMembers(store.id, Buffer.from(`phone,balance\n${lines.join("\n")}\n`), { dryRun: false });
    console.log(
      `\nsweep: ${SWEEP_LOTS.toLocaleString("en")} lines imported in ${((performance.now() - importing) / 1000).toFixed(1)} s (load ${load()})`,
    );

    // The reading client's member, in a pool of its own without a period: its reads wait for the sweep's steps only.
    const probe = await services.stores.create({ name: "Probe", unit: "point", dailyLimit: 100_000_000 });
    await call(server, probe, "save", { number: "010-7999-0000", count: 1 });
    const address = `${server.url}/api/open/balance?${new URLSearchParams({ id: String(probe.id), auth_code: probe.auth_code, device: "openapi", number: "010-7999-0000" })}`;
    /** Reads in a loop, from a process of its own as a real client would, until `until` settles; their latencies. */
    const readWhile = async (until: Promise<unknown>) => {
      const client = spawn(process.execPath, ["--input-type=module", "-e", READER, address], { stdio: ["pipe", "pipe", "inherit"] });
      let out = "";
      client.stdout.on("data", (d: Buffer) => (out += d.toString()));
      const exited = new Promise((resolve) => client.on("exit", resolve));
      await until.catch(() => {});
      client.stdin.end();
      await exited;
      return JSON.parse(out) as number[];
    };
    const quiet = await readWhile(new Promise((r) => setTimeout(r, 3000)));

    clock.now = new Date(Date.now() + 3 * DAY_MS);
    const loadBefore = load();
    const sweeper = server.sweeper!;
    const sweeping = sweeper.sweep();
    const cap = setTimeout(() => void sweeper.stop(), SWEEP_CAP_S * 1000);
    const during = await readWhile(sweeping);
    const summary = await sweeping;
    clearTimeout(cap);
    const [left] = await db.query<{ due: number; rows: number }>(
      Prisma.sql`SELECT (SELECT count(*)::int FROM ledger_lot WHERE remaining > 0) AS due,
                        (SELECT count(*)::int FROM ledger_entry WHERE kind = 'expire') AS rows`,
    );
    const verify = await services.verify();
    console.log(
      `sweep: ${summary.rows.toLocaleString("en")} expire rows on ${summary.accounts.toLocaleString("en")} accounts in ${(summary.ms / 1000).toFixed(1)} s` +
        `${left!.due > 0 ? ` (stopped after ${SWEEP_CAP_S} s)` : ""}, ${summary.steps} steps (mean ${ms(summary.ms / summary.steps)}, longest ${ms(summary.longestStepMs)}); ` +
        `lots left open ${left!.due}, expire rows ${left!.rows}; verify ok: ${verify.ok} (load ${loadBefore} → ${load()})`,
    );
    console.log("| balance reads | calls | median | p99 | max |\n|---|---|---|---|---|");
    for (const [what, xs] of [
      ["before the sweep (3 s)", quiet],
      ["during the sweep", during],
    ] as const) {
      console.log(`| ${what} | ${xs.length} | ${ms(median(xs))} | ${ms(quantile(xs, 0.99))} | ${ms(Math.max(...xs))} |`);
    }
  } finally {
    await server.close();
  }
}

try {
  console.log(`${new Date().toISOString()}, load ${load()}`);
  if (ROUNDS > 0) await manyLots("embedded", { DATA_DIR: mkdtempSync(path.join(workDir, "lots-")) });
  if (ROUNDS > 0 && SERVER_PG !== "none") {
    const scratch = await scratchPostgres();
    try {
      await manyLots("PostgreSQL", { DATABASE_URL: scratch.url, DB_POOL_SIZE: "4" });
    } finally {
      await scratch.drop();
    }
  }
  if (SWEEP_LOTS > 0) await sweepAtSize();
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
