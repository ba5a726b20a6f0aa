// `npm run bench`: /api/open/save over real HTTP (wrk, a random member of a random store each
// request) against `pgbench -N` on the same PostgreSQL with the same number of connections,
// alternating, in one run: first with BENCH_STORES stores (default 100) at BENCH_CONNECTIONS
// (default 8), then with one store alone, whose calls queue on its daily-limit counter row, at
// BENCH_ONE_STORE_CONNECTIONS (default 32; BENCH_ONE_STORE=0 skips it). Last, the same saves on the
// embedded database (no DATABASE_URL; its DATA_DIR beside the checkout, on the disk a real one
// would use) at BENCH_CONNECTIONS, alone: there is no pgbench to compare with (BENCH_EMBEDDED=0
// skips it). The server is the build (`npm run build`, then `node dist/cli/main.js serve`), as
// production runs it. Prints throughputs, p50/p99 latencies, the calls per commit (group commit)
// and each PostgreSQL case's ratio.
// Needs `wrk` and `pgbench` (Debian: apt-get install wrk postgresql-client) and a PostgreSQL
// server (BENCH_PG, default the local one).
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";

const SERVER = process.env.BENCH_PG ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const PORT = Number(process.env.BENCH_PORT ?? 3917);
const STORES = Number(process.env.BENCH_STORES ?? 100);
const ONE_STORE = process.env.BENCH_ONE_STORE !== "0" && STORES !== 1;
const ONE_STORE_CONNECTIONS = Number(process.env.BENCH_ONE_STORE_CONNECTIONS ?? 32);
const EMBEDDED = process.env.BENCH_EMBEDDED !== "0";
/** Threads of each load generator (wrk -t, pgbench -j). */
const THREADS = Number(process.env.BENCH_THREADS ?? 2);
/**
 * The server's database connections (DB_POOL_SIZE): twice the cores of the machine PostgreSQL
 * runs on (this one), the usual sizing of a pool. A pool as large as CONNECTIONS made saves slower
 * here; pgbench keeps CONNECTIONS, with which it is itself faster than with fewer
 * (docs/performance.md).
 */
const POOL = Number(process.env.BENCH_POOL ?? 2 * availableParallelism());

interface Figures {
  tps: number;
  p50: number;
  p99: number;
  errors: number;
}

const work = mkdtempSync(path.join(tmpdir(), "stampd-bench-"));
const dbName = `stampd_bench_${Date.now()}`;
const dbUrl = Object.assign(new URL(SERVER), { pathname: `/${dbName}` }).toString();

async function sql(query: string): Promise<void> {
  const c = new pg.Client({ connectionString: SERVER });
  await c.connect();
  await c.query(query);
  await c.end();
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function pgbench(connections: number): Figures {
  const dir = mkdtempSync(path.join(work, "pgbench-"));
  const out = execFileSync(
    "pgbench",
    [
      "-N",
      "-n",
      "-c",
      String(connections),
      "-j",
      String(THREADS),
      "-T",
      String(SECONDS),
      "-l",
      "--log-prefix",
      path.join(dir, "log"),
      dbUrl,
    ],
    { encoding: "utf8" },
  );
  const tps = Number(/tps = ([\d.]+)/.exec(out)![1]);
  // Per-transaction log lines: client_id transaction_no time_us script_no time_epoch time_us
  const latencies = readdirSync(dir)
    .flatMap((f) => readFileSync(path.join(dir, f), "utf8").trim().split("\n"))
    .map((line) => Number(line.split(" ")[2]) / 1000)
    .sort((a, b) => a - b);
  return { tps, p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors: 0 };
}

function wrkScript(stores: { id: number; auth_code: string }[]): string {
  const file = path.join(work, `save-${stores.length}.lua`);
  writeFileSync(
    file,
    `
local stores = { ${stores.map((st) => `{ ${st.id}, "${st.auth_code}" }`).join(", ")} }
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
local failed = 0
-- Each thread its own sequence of members: unseeded, every thread and every run would draw the
-- same members, and after the first round a save would mostly find its member already there.
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("seed", os.time() * 100 + threads)
end
init = function()
  math.randomseed(seed)
end
request = function()
  local s = stores[math.random(1, #stores)]
  local body = "id=" .. s[1] .. "&auth_code=" .. s[2] .. "&device=openapi&type=phone&number=0109" .. string.format("%07d", math.random(0, 999999)) .. "&count=1"
  return wrk.format(nil, "/api/open/save", nil, body)
end
response = function(status, headers, body)
  if status ~= 200 or not string.find(body, '"result":true', 1, true) then failed = failed + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %f %f %f %d %d\\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.requests))
end
`,
  );
  return file;
}

function wrk(script: string, seconds: number, connections: number): Figures {
  const out = execFileSync(
    "wrk",
    ["-t", String(THREADS), "-c", String(connections), "-d", `${seconds}s`, "-s", script, `http://127.0.0.1:${PORT}`],
    { encoding: "utf8" },
  );
  const [, tps, p50, p99, errors] = /RESULT (\S+) (\S+) (\S+) (\d+)/.exec(out)!;
  return { tps: Number(tps), p50: Number(p50), p99: Number(p99), errors: Number(errors) };
}

/** Stores made through the store service itself, each with a daily limit out of the way: on PostgreSQL at `url`, or embedded in `dataDir`. */
async function createStores(url: string | undefined, n: number, dataDir?: string): Promise<{ id: number; auth_code: string }[]> {
  const { loadConfig } = await import("../src/platform/config.js");
  const { openDatabase } = await import("../src/platform/db/client.js");
  const { migrate } = await import("../src/platform/db/migrate.js");
  const { StoreService } = await import("../src/stores/service.js");
  const db = await openDatabase({ databaseUrl: url, dataDir: dataDir ?? loadConfig({}).DATA_DIR, poolSize: 2 });
  try {
    await migrate(db);
    const service = new StoreService(db.prisma, { dailyLimit: 100_000_000 });
    const stores = [];
    for (let i = 0; i < n; i++) stores.push(await service.create({ name: `Bench ${i}` }));
    return stores;
  } finally {
    await db.close();
  }
}

/** Saves and uses per commit since `since` (group commit's mean batch), from the server's stampd_ledger_batch_calls. */
async function callsPerCommit(since?: { calls: number; batches: number }): Promise<{ calls: number; batches: number; mean: number }> {
  const url = `http://127.0.0.1:${PORT}/metrics`;
  // Once more when fetch's pooled connection was closed by the server while the rounds ran.
  const text = await (await fetch(url).catch(() => fetch(url))).text();
  const figure = (name: string) => Number(new RegExp(`^${name} (\\d+)`, "m").exec(text)?.[1] ?? 0);
  const calls = figure("stampd_ledger_batch_calls_sum");
  const batches = figure("stampd_ledger_batch_calls_count");
  return { calls, batches, mean: (calls - (since?.calls ?? 0)) / (batches - (since?.batches ?? 0)) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * One case: a warm-up, then ROUNDS rounds of pgbench and saves back to back. Prints each round and
 * the case's figures; answers the median of the rounds' ratios.
 */
async function measure(name: string, stores: { id: number; auth_code: string }[], connections: number): Promise<number> {
  const script = wrkScript(stores);
  wrk(script, 3, connections); // warm-up
  const before = await callsPerCommit();
  const rows: { round: number; save: Figures; pgbench: Figures }[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const p = pgbench(connections);
    const s = wrk(script, SECONDS, connections);
    rows.push({ round, save: s, pgbench: p });
    console.log(
      `${name}, round ${round}: save ${s.tps.toFixed(0)}/s (p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms, errors ${s.errors})` +
        `  pgbench -N ${p.tps.toFixed(0)} tps (p50 ${p.p50.toFixed(2)} ms, p99 ${p.p99.toFixed(2)} ms)  ratio ${(s.tps / p.tps).toFixed(2)}`,
    );
  }
  const { mean } = await callsPerCommit(before);
  const ratios = rows.map((r) => r.save.tps / r.pgbench.tps);
  const save = median(rows.map((r) => r.save.tps));
  const base = median(rows.map((r) => r.pgbench.tps));
  console.log(
    `\n${name}: connections ${connections} (the server's database pool: ${POOL}), ${stores.length} store(s), ${ROUNDS} rounds of ${SECONDS}s each\n` +
      `save:       ${save.toFixed(0)} requests/s (median), p50 ${median(rows.map((r) => r.save.p50)).toFixed(2)} ms, p99 ${median(rows.map((r) => r.save.p99)).toFixed(2)} ms, ${mean.toFixed(1)} calls per commit\n` +
      `pgbench -N: ${base.toFixed(0)} tps (median), p50 ${median(rows.map((r) => r.pgbench.p50)).toFixed(2)} ms, p99 ${median(rows.map((r) => r.pgbench.p99)).toFixed(2)} ms\n` +
      // Each round's pair ran back to back, so its ratio is little moved by the machine's drift
      // over the run; the ratio reported is the median of the rounds' ratios. The first and the
      // last round's show whether it held through the run.
      `ratio:      ${median(ratios).toFixed(2)}x (median of the rounds' ratios, ${Math.min(...ratios).toFixed(2)} to ${Math.max(...ratios).toFixed(2)};` +
      ` first round ${ratios[0]!.toFixed(2)}, last ${ratios.at(-1)!.toFixed(2)}; of the medians above ${(save / base).toFixed(2)}x)\n`,
  );
  const failed = rows.reduce((n, r) => n + r.save.errors, 0);
  if (failed > 0) throw new Error(`${failed} save requests failed`);
  return median(ratios);
}

/** The built server with `env`, once it answers /readyz. */
async function serve(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  // The request log is written as in production, to /dev/null: a log collector's work is not the server's.
  const server = spawn(process.execPath, ["dist/cli/main.js", "serve"], { env, stdio: ["ignore", "ignore", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    const deadline = Date.now() + 30_000;
    const poll = (): void =>
      void fetch(`http://127.0.0.1:${PORT}/readyz`).then(
        (r) => (r.ok ? resolve() : setTimeout(poll, 200)),
        () => (Date.now() > deadline ? reject(new Error("server did not start")) : setTimeout(poll, 200)),
      );
    poll();
  });
  return server;
}

async function stop(server: ChildProcess): Promise<void> {
  server.kill("SIGTERM");
  await new Promise((r) => server.on("exit", r));
}

const SERVER_ENV: NodeJS.ProcessEnv = { ...process.env, PORT: String(PORT), HOST: "127.0.0.1", LOG_LEVEL: "info" };

/** Saves on the embedded database: ROUNDS rounds after a warm-up; prints and answers the median saves/s. */
async function measureEmbedded(): Promise<string> {
  const dataDir = mkdtempSync(path.resolve("bench-embedded-"));
  try {
    const stores = await createStores(undefined, STORES, dataDir);
    const { DATABASE_URL: _, ...env } = SERVER_ENV;
    const server = await serve({ ...env, DATA_DIR: dataDir });
    try {
      const script = wrkScript(stores);
      wrk(script, 3, CONNECTIONS);
      const before = await callsPerCommit();
      const rounds: Figures[] = [];
      for (let round = 1; round <= ROUNDS; round++) {
        const s = wrk(script, SECONDS, CONNECTIONS);
        rounds.push(s);
        console.log(
          `embedded, round ${round}: save ${s.tps.toFixed(0)}/s (p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms, errors ${s.errors})`,
        );
      }
      if (rounds.some((r) => r.errors > 0)) throw new Error("embedded save requests failed");
      const verdict = `${median(rounds.map((r) => r.tps)).toFixed(0)} saves/s, p99 ${median(rounds.map((r) => r.p99)).toFixed(2)} ms, ${(await callsPerCommit(before)).mean.toFixed(1)} calls per commit`;
      console.log(
        `\nembedded: connections ${CONNECTIONS}, ${STORES} store(s), ${ROUNDS} rounds of ${SECONDS}s each: ${verdict} (medians)\n`,
      );
      return verdict;
    } finally {
      await stop(server);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  execFileSync("npm", ["run", "-s", "build"], { stdio: "inherit" });
  await sql(`CREATE DATABASE ${dbName}`);
  execFileSync("pgbench", ["-i", "-q", dbUrl], { stdio: "ignore" });
  const stores = await createStores(dbUrl, STORES);
  const verdicts: string[] = [];
  try {
    const server = await serve({ ...SERVER_ENV, DATABASE_URL: dbUrl, DB_POOL_SIZE: String(POOL) });
    try {
      verdicts.push(`${STORES} stores: ${(await measure(`${STORES} stores`, stores, CONNECTIONS)).toFixed(2)}x`);
      if (ONE_STORE) verdicts.push(`one store: ${(await measure("one store", stores.slice(0, 1), ONE_STORE_CONNECTIONS)).toFixed(2)}x`);
    } finally {
      await stop(server);
    }
    if (EMBEDDED) verdicts.push(`embedded: ${await measureEmbedded()}`);
    console.log(`save / pgbench -N, median of the rounds' ratios, and the embedded database: ${verdicts.join(", ")}`);
  } finally {
    await sql(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
