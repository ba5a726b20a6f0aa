// Import and export at size, through the real CLI in a child process (docs/performance.md,
// "Import and export (issue 16)"): a generated CP949 file with Korean headers imported, then the
// members and history exported, on the embedded database and on PostgreSQL. Each command runs under
// GNU time for its wall time and peak memory (maximum resident set), beside an idle command's.
// Run: npx tsx bench/import-export.ts
// Knobs: BENCH_LINES (the import, default 100000), BENCH_HISTORY_ROWS (the large history export,
// default 1000000; 0 skips it), BENCH_HISTORY_EMBEDDED=1 (that export on the embedded database too,
// not only on PostgreSQL), BENCH_PG (the server to make
// a scratch database on).
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { loadavg } from "node:os";
import path from "node:path";
import iconv from "iconv-lite";
import pg from "pg";

const lines = Number(process.env.BENCH_LINES ?? 100_000);
const historyRows = Number(process.env.BENCH_HISTORY_ROWS ?? 1_000_000);
const historyOnEmbedded = process.env.BENCH_HISTORY_EMBEDDED === "1";
const serverUrl = process.env.BENCH_PG ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const TIME = "/usr/bin/time";

// Beside the checkout, on the disk a real DATA_DIR would use (not a tmpfs /tmp).
const workDir = mkdtempSync(path.resolve("bench-import-export-"));

interface Measured {
  seconds: number;
  peakMb: number;
  load: number;
  stdout: string;
}

/** Runs the CLI with `args` against the database in `env`, under GNU time; fails on a non-zero exit. */
function cli(env: Record<string, string>, args: string[]): Measured {
  const timeFile = path.join(workDir, "time.txt");
  const load = loadavg()[0]!;
  const child = spawnSync(TIME, ["-f", "%e %M", "-o", timeFile, process.execPath, "--import", "tsx", "src/cli/main.ts", ...args], {
    env: { ...process.env, ...env, LOG_LEVEL: "silent" },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (child.status !== 0) throw new Error(`stampd ${args.join(" ")} exited ${child.status}: ${child.stderr}${child.stdout.slice(0, 2000)}`);
  const [seconds, kb] = readFileSync(timeFile, "utf8").trim().split("\n").at(-1)!.split(" ").map(Number);
  return { seconds: seconds!, peakMb: kb! / 1024, load, stdout: child.stdout };
}

/**
 * Writes a CP949 file of `count` members with Korean headers: every other line keeps its member
 * number, every balance is above 0 (so each member gets one `import` row in the history). The kept
 * numbers go down the file, as when docs/performance.md's figures were measured: before be1fc83 a
 * file with rising kept numbers was refused, because numbers drawn for one batch's new members
 * could be numbers that a later batch keeps (found with this benchmark).
 */
function writeImportFile(count: number): string {
  const file = path.join(workDir, `members-${count}.csv`);
  const fd = openSync(file, "w");
  const encode = (text: string) => writeSync(fd, iconv.encode(text, "cp949"));
  encode("고객번호,휴대폰번호,보유스탬프,가입일,메모\n");
  const CHUNK = 10_000;
  for (let start = 0; start < count; start += CHUNK) {
    let text = "";
    for (let i = start; i < Math.min(start + CHUNK, count); i++) {
      const phone = `010-${1000 + Math.floor(i / 10_000)}-${String(i % 10_000).padStart(4, "0")}`;
      const memberNo = i % 2 === 0 ? String(1_000_000 + count - i) : "";
      const joined = `202${i % 4}-${String((i % 12) + 1).padStart(2, "0")}-${String((i % 28) + 1).padStart(2, "0")}`;
      text += `${memberNo},${phone},${(i % 50) + 1},${joined},${i % 10 === 0 ? "단골" : ""}\n`;
    }
    encode(text);
  }
  closeSync(fd);
  return file;
}

interface Database {
  name: string;
  env: Record<string, string>;
  drop: () => Promise<void>;
}

let scratchCount = 0;

function embedded(): Database {
  const dir = mkdtempSync(path.join(workDir, "data-"));
  return { name: "embedded", env: { DATA_DIR: dir }, drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

async function postgres(): Promise<Database> {
  const name = `stampd_bench_${process.pid}_${scratchCount++}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    name: "PostgreSQL",
    env: { DATABASE_URL: url.toString() },
    drop: async () => {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

const rows: string[][] = [];
const mb = (n: number) => `${Math.round(n)} MB`;

function report(database: string, what: string, run: Measured, idle: Measured, extra = "") {
  const row = [database, what, `${run.seconds.toFixed(1)} s`, mb(run.peakMb), mb(run.peakMb - idle.peakMb), run.load.toFixed(2), extra];
  rows.push(row);
  console.log(row.join(" | "));
}

function summary(json: string): string {
  const s = JSON.parse(json) as { lines_read: number; members_new_to_server: number; kept_member_numbers: number };
  return `${s.lines_read} read, ${s.members_new_to_server} new, ${s.kept_member_numbers} kept numbers`;
}

/** Creates a store, imports `file` and exports history (and members when asked), reporting each. */
function importAndExport(db: Database, file: string, count: number, withMembers: boolean) {
  // The store first: the first command on a new database creates and migrates it, far from idle.
  const store = (JSON.parse(cli(db.env, ["store", "create", "--name", "bench", "--json"]).stdout) as { id: number }).id;
  // Of two runs, the lower: a peak that garbage collection's timing moves by tens of MB on a busy machine.
  const idle = [cli(db.env, ["store", "list", "--json"]), cli(db.env, ["store", "list", "--json"])].sort((a, b) => a.peakMb - b.peakMb)[0]!;
  report(db.name, "idle (`store list`)", idle, idle);
  const imported = cli(db.env, ["import", "members", "--store", String(store), "--file", file, "--json"]);
  report(db.name, `import ${count.toLocaleString("en")} lines`, imported, idle, summary(imported.stdout));
  const out = path.join(workDir, "export.csv");
  if (withMembers) {
    const members = cli(db.env, ["export", "members", "--store", String(store), "--out", out]);
    report(db.name, `export members (${count.toLocaleString("en")})`, members, idle, `${mb(statSync(out).size / 1e6)} file`);
  }
  const history = cli(db.env, ["export", "history", "--store", String(store), "--out", out]);
  report(db.name, `export history (${count.toLocaleString("en")} rows)`, history, idle, `${mb(statSync(out).size / 1e6)} file`);
}

try {
  const file = writeImportFile(lines);
  const largeFile = historyRows > 0 ? writeImportFile(historyRows) : undefined;
  for (const make of [async () => embedded(), postgres]) {
    let db = await make();
    try {
      importAndExport(db, file, lines, true);
    } finally {
      await db.drop();
    }
    if (!largeFile || (db.name === "embedded" && !historyOnEmbedded)) continue;
    db = await make();
    try {
      importAndExport(db, largeFile, historyRows, false);
    } finally {
      await db.drop();
    }
  }
  console.log("\n| database | what | wall time | peak memory | above idle | load (1 min) | notes |\n|---|---|---|---|---|---|---|");
  for (const row of rows) console.log(`| ${row.join(" | ")} |`);
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
