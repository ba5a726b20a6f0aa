import { statfsSync } from "node:fs";
import { defineConfig } from "vitest/config";

/** Free space a memory-backed TMPDIR needs to hold the run's databases (40 MB each) with room to spare. */
const MEMORY_TMPDIR_MIN_BYTES = 2 * 1024 ** 3;

/**
 * Test databases and data directories go to /dev/shm where it is large enough: copying a 40 MB
 * PGlite template there costs 50 ms instead of 800, and the commits' fsyncs, which the embedded
 * database makes real (src/platform/db/pglite-fs.ts), cost nothing. What reaches the disk is tested by
 * the durability tests' system-call traces, not by where they run. A TMPDIR set by the caller wins.
 */
function memoryTmpdir(): string | undefined {
  try {
    const fs = statfsSync("/dev/shm");
    return fs.bavail * fs.bsize >= MEMORY_TMPDIR_MIN_BYTES ? "/dev/shm" : undefined;
  } catch {
    return undefined;
  }
}
const tmpdir = process.env.TMPDIR ?? memoryTmpdir();
if (tmpdir) process.env.TMPDIR = tmpdir;

// Each test file gets its own database (a PGlite directory, or a fresh database on the
// PostgreSQL server named by DATABASE_URL), so files run in parallel on the machine's cores.
// The global setup migrates one template that each of those databases is copied from.
// Files share their worker's modules (isolate: false): importing the server once per worker
// instead of once per file saves about 30 s of a run. stampd keeps no state at module level
// (each server has its own), and every server, store and database is made by the test using it.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    pool: "forks",
    isolate: false,
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
