// An embedded commit is on disk before it is acknowledged: the real server, traced by strace
// (the kernel's view), syncs a file for every acknowledged save.
import { afterEach, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { SLOW_START_MS, spawnServer, type ServerProcess } from "./support/process.js";

let server: ServerProcess | undefined;
afterEach(() => server?.cleanup());

/** Traces the fsync and fdatasync calls of a running process until the returned stop is called. */
async function traceSyncs(pid: number): Promise<() => Promise<string[]>> {
  const dir = mkdtempSync(path.join(tmpdir(), "stampd-strace-"));
  const out = path.join(dir, "trace");
  const strace = spawn("strace", ["-f", "-qq", "-e", "trace=fsync,fdatasync", "-o", out, "-p", String(pid)], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  strace.stderr.setEncoding("utf8").on("data", (s: string) => (err += s));
  // Attached once the kernel names a tracer of the process.
  while (!/^TracerPid:\s+[1-9]/m.test(readFileSync(`/proc/${pid}/status`, "utf8"))) {
    if (strace.exitCode !== null) throw new Error(`strace exited: ${err}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return async () => {
    strace.kill("SIGINT");
    await once(strace, "exit");
    const lines = readFileSync(out, "utf8")
      .split("\n")
      .filter((l) => /\b(fsync|fdatasync)\(/.test(l));
    rmSync(dir, { recursive: true, force: true });
    return lines;
  };
}

describe.skipIf(process.env.DATABASE_URL)("embedded durability", () => {
  it(
    "every acknowledged save was synced to disk",
    async () => {
      server = await spawnServer({}, { ready: /auth_code: \S+/ });
      const [, id, code] = /id:\s+(\d+)\n\s+auth_code: (\S+)/.exec(server.stdout())!;
      const stop = await traceSyncs(server.process.pid!);
      const saves = 20;
      for (let i = 0; i < saves; i++) {
        const res = await fetch(`${server.url}/api/open/save`, {
          method: "POST",
          body: new URLSearchParams({ id: id!, auth_code: code!, device: "openapi", number: "010-1234-5678", count: "1" }),
        });
        expect(((await res.json()) as { result: boolean }).result).toBe(true);
      }
      const syncs = await stop();
      expect(syncs.length).toBeGreaterThanOrEqual(saves);
    },
    SLOW_START_MS + 30_000,
  );
});
