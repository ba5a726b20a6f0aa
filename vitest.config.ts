import { defineConfig } from "vitest/config";

// Each test file gets its own database (a PGlite directory, or a fresh database on the
// PostgreSQL server named by DATABASE_URL), so files run in parallel on the machine's cores.
// The global setup migrates one template that each of those databases is copied from.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
