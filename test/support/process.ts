// The real `stampd serve` in its own process (as `npm start` runs it) over a fresh database, for
// tests of what only a whole process shows: its log output, its signals and its exit code.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { freshDatabase, type TestDatabase } from "./database.js";

const ROOT = path.resolve(import.meta.dirname, "../..");

/** Compiling with tsx and opening the database can take this long on a busy two-core machine. */
export const SLOW_START_MS = 60_000;

export interface ServerProcess {
  url: string;
  process: ChildProcess;
  database: TestDatabase;
  /** Everything the process wrote to stdout so far. */
  stdout(): string;
  /** Sends `signal` and waits for the exit; resolves with the exit code. */
  signal(signal: NodeJS.Signals): Promise<number | null>;
  /** Kills the process if it still runs and drops the database it made. */
  cleanup(): Promise<void>;
}

export interface SpawnOptions {
  /** Run on this database (left in place afterwards) instead of a fresh one (dropped by cleanup). */
  database?: TestDatabase;
  /** Resolve once stdout also matches this (it always waits for the listening line). */
  ready?: RegExp;
}

export async function spawnServer(env: Record<string, string> = {}, options: SpawnOptions = {}): Promise<ServerProcess> {
  const database = options.database ?? (await freshDatabase());
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", ...database.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
  child.stderr.setEncoding("utf8").on("data", (s: string) => (err += s));
  const exited = once(child, "exit").then(([code]) => code as number | null);

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m && (!options.ready || options.ready.test(out))) done(() => resolve(m[1]!));
      else if (child.exitCode !== null) done(() => reject(new Error(`server exited with ${child.exitCode}: ${err}`)));
    }, 50);
    const limit = setTimeout(() => done(() => reject(new Error(`server did not start: ${err}`))), SLOW_START_MS);
    const done = (fn: () => void) => {
      clearInterval(timer);
      clearTimeout(limit);
      fn();
    };
  });

  return {
    url,
    process: child,
    database,
    stdout: () => out,
    async signal(signal) {
      child.kill(signal);
      return exited;
    },
    async cleanup() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await exited;
      }
      if (!options.database) await database.drop();
    },
  };
}
