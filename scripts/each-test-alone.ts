// Runs every test of the suite alone, by its full name, and lists those that fail alone (they
// depend on a test before them). Slow: one vitest run per test. Usage:
//   npx tsx scripts/each-test-alone.ts [test files…]     (JOBS=2 runs two at a time)
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

interface ListedTest {
  name: string;
  file: string;
}

interface JsonReport {
  numPassedTests: number;
  numFailedTests: number;
}

const VITEST = path.resolve(import.meta.dirname, "../node_modules/vitest/vitest.mjs");
const work = mkdtempSync(path.join(tmpdir(), "each-test-alone-"));

function vitest(args: string[]): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [VITEST, ...args], { stdio: "ignore" });
    child.on("error", reject);
    child.on("close", resolve);
  });
}

/** `a > b > c` as vitest's -t sees the full name (`a b c`), anchored and escaped. */
const namePattern = (name: string) =>
  `^${name
    .split(" > ")
    .join(" ")
    .replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`;

async function runAlone(test: ListedTest, n: number): Promise<boolean> {
  const out = path.join(work, `${n}.json`);
  await vitest(["run", test.file, "-t", namePattern(test.name), "--reporter=json", `--outputFile=${out}`]);
  try {
    const report = JSON.parse(readFileSync(out, "utf8")) as JsonReport;
    return report.numPassedTests >= 1 && report.numFailedTests === 0;
  } catch {
    return false;
  }
}

const listFile = path.join(work, "list.json");
await vitest(["list", `--json=${listFile}`, ...process.argv.slice(2)]);
const tests = JSON.parse(readFileSync(listFile, "utf8")) as ListedTest[];
const jobs = Number(process.env.JOBS ?? 1);
const failed: ListedTest[] = [];
let next = 0;
const started = Date.now();
await Promise.all(
  Array.from({ length: jobs }, async () => {
    while (next < tests.length) {
      const n = next++;
      const test = tests[n]!;
      const ok = await runAlone(test, n);
      if (!ok) failed.push(test);
      process.stdout.write(`${ok ? "ok  " : "FAIL"} ${n + 1}/${tests.length} ${path.relative(process.cwd(), test.file)} > ${test.name}\n`);
    }
  }),
);
rmSync(work, { recursive: true, force: true });
process.stdout.write(
  `\n${tests.length - failed.length} of ${tests.length} tests pass alone (${Math.round((Date.now() - started) / 1000)} s)\n`,
);
for (const t of failed) process.stdout.write(`failed alone: ${path.relative(process.cwd(), t.file)} > ${t.name}\n`);
process.exitCode = failed.length ? 1 : 0;
