// Runs the real `stampd` command line in a child process.
import { spawn, type ChildProcess } from "node:child_process";

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const ENTRY = ["--import", "tsx", "src/cli/main.ts"];

/** The environment of a child: the caller's, minus any DATABASE_URL unless given. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const { DATABASE_URL: _, ...rest } = process.env;
  return { ...rest, LOG_LEVEL: "warn", ...env };
}

export function stampd(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...ENTRY, ...args], { env: childEnv(env), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts `stampd serve` and resolves once it listens and has printed `ready`; `output()` is all output so far. */
export async function serve(env: Record<string, string>, ready = /Server listening at/): Promise<{ child: ChildProcess; output: () => string; url: string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [...ENTRY, "serve"], { env: childEnv({ LOG_LEVEL: "info", ...env }), stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 30_000);
    child.stdout!.on("data", () => {
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m && ready.test(out)) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.on("exit", () => reject(new Error(`server exited:\n${out}`)));
  });
  const stop = () =>
    new Promise<number | null>((resolve) => {
      child.on("exit", (code) => resolve(code));
      child.kill("SIGTERM");
    });
  return { child, output: () => out, url, stop };
}
