// Sequential saves on the embedded database, in process: what one commit costs end to end,
// e.g. with and without its fsync (docs/performance.md, "The embedded database's commits").
// Run: npx tsx bench/embedded-saves.ts [saves]
import { mkdtempSync, rmSync } from "node:fs";
import path from "node:path";
import { loadConfig } from "../src/platform/config.js";
import { startServer, type DemoStore } from "../src/server.js";

const saves = Number(process.argv[2] ?? 1000);
// Beside the checkout, on the disk a real DATA_DIR would use (not a tmpfs /tmp).
const dir = mkdtempSync(path.resolve("bench-embedded-"));
let demo: DemoStore | undefined;
const server = await startServer(loadConfig({ DATA_DIR: dir, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent" }), {
  webhookWorker: false,
  onDemoStore: (d) => (demo = d),
});
try {
  const started = performance.now();
  for (let i = 0; i < saves; i++) {
    const number = `010-1234-${String(i % 50).padStart(4, "0")}`;
    const body = new URLSearchParams({ id: String(demo!.id), auth_code: demo!.auth_code, device: "openapi", number, count: "1" });
    const answer = (await (await fetch(`${server.url}/api/open/save`, { method: "POST", body })).json()) as { result: boolean };
    if (!answer.result) throw new Error(`save failed: ${JSON.stringify(answer)}`);
  }
  const ms = performance.now() - started;
  console.log(`${saves} sequential saves: ${(ms / saves).toFixed(2)} ms each, ${Math.round((saves * 1000) / ms)}/s`);
} finally {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
