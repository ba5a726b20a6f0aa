// What a newcomer meets in the first hour: what the server says while it starts, the `stampd`
// command without arguments, its version, the installed bin in a checkout that was never built.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readMigrations } from "../src/platform/db/migrate.js";
import { stampd } from "./support/cli.js";
import { freshDatabase } from "./support/database.js";
import { SLOW_START_MS, spawnServer } from "./support/process.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const { version } = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));
const scratch = mkdtempSync(path.join(tmpdir(), "stampd-first-hour-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The messages of the JSON log lines a server wrote before it listened. */
function startMessages(stdout: string): string[] {
  const messages = stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l).msg as string);
  return messages.slice(
    0,
    messages.findIndex((m) => m.startsWith("Server listening at")),
  );
}

describe("the first start", () => {
  it(
    "says what it does before it listens: the database it opens, the migrations it applies, the demo store",
    async () => {
      const database = await freshDatabase({ empty: true });
      try {
        const first = await spawnServer({}, { database, ready: database.kind === "pglite" ? /try: +curl -s -X POST[^\n]*\n/ : undefined });
        const said = startMessages(first.stdout());
        expect(await first.signal("SIGTERM")).toBe(0);
        const names = readMigrations().map((m) => m.name);
        expect(said).toEqual([
          database.kind === "pglite"
            ? expect.stringMatching(/^creating the embedded database in .+ \(a first start takes up to \d+ s\)$/)
            : // host and database, never the credentials
              expect.stringMatching(/^connecting to PostgreSQL at [^@\s]+\/stampd_test_\w+$/),
          expect.stringMatching(/^database open in \d+ ms$/),
          `applied ${names.length} migrations: ${names.join(", ")}`,
          ...(database.kind === "pglite" ? ["created the demo store (id 1) with an API key and a stamp card"] : []),
        ]);

        const again = await spawnServer({}, { database });
        expect(startMessages(again.stdout())).toEqual([
          database.kind === "pglite"
            ? expect.stringMatching(/^opening the embedded database in .+$/)
            : expect.stringMatching(/^connecting to PostgreSQL at /),
          expect.stringMatching(/^database open in \d+ ms$/),
          `database schema up to date (${names.length} migrations)`,
        ]);
        expect(await again.signal("SIGTERM")).toBe(0);
      } finally {
        await database.drop();
      }
    },
    3 * SLOW_START_MS,
  );
});

describe("the stampd command", () => {
  it("without a command prints its help and exits 2, with nothing else", async () => {
    const r = await stampd([], { DATA_DIR: scratch });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^Usage: stampd \[options\] \[command\]/);
    expect(r.stderr).not.toContain("outputHelp");
  });

  it("prints its version with --version", async () => {
    const r = await stampd(["--version"], { DATA_DIR: scratch });
    expect(r).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
  });

  /** A copy of the checkout's layout without dist/ (and, if asked, without src/ and tsx). */
  function checkout(name: string, withSources: boolean): string {
    const dir = path.join(scratch, name);
    mkdirSync(path.join(dir, "bin"), { recursive: true });
    copyFileSync(path.join(ROOT, "bin/stampd.js"), path.join(dir, "bin/stampd.js"));
    copyFileSync(path.join(ROOT, "package.json"), path.join(dir, "package.json"));
    if (withSources) for (const d of ["src", "node_modules", "prisma"]) symlinkSync(path.join(ROOT, d), path.join(dir, d));
    return dir;
  }
  const bin = (dir: string, ...args: string[]) =>
    spawnSync(process.execPath, [path.join(dir, "bin/stampd.js"), ...args], { encoding: "utf8", env: { PATH: process.env.PATH } });

  it("runs from the sources through tsx in a checkout that was not built (`npx stampd`)", () => {
    const r = bin(checkout("unbuilt", true), "--version");
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, stdout: `${version}\n`, stderr: "" });
  });

  it("says what to do, in one line and without a stack trace, when there is nothing to run", () => {
    const r = bin(checkout("empty", false), "--version");
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^stampd: .*npm run build.*\n$/);
  });
});
