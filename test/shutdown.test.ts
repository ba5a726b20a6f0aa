// Graceful shutdown of the real `stampd serve` process: on SIGTERM or SIGINT it stops accepting,
// lets the requests in flight finish (their writes land and they get their answers), closes the
// database and exits 0 within the grace period.
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../src/platform/config.js";
import { openDatabase } from "../src/platform/db/client.js";
import { lockEmbedded, readControlFile } from "../src/platform/db/embedded-lock.js";
import { SLOW_START_MS, spawnServer, type ServerProcess } from "./support/process.js";
import { until } from "./support/wait.js";

const ADMIN_TOKEN = "admin-token-for-shutdown-0";
let server: ServerProcess | undefined;
afterEach(() => server?.cleanup());

/** A save whose form body arrives in two parts: the second only when `rest` resolves. */
async function slowSave(url: string, params: Record<string, string>, rest: Promise<void>): Promise<any> {
  const body = new URLSearchParams(params).toString();
  const cut = body.length >> 1;
  const bytes = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(bytes.encode(body.slice(0, cut)));
      await rest;
      controller.enqueue(bytes.encode(body.slice(cut)));
      controller.close();
    },
  });
  const res = await fetch(`${url}/api/open/save`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: stream,
    duplex: "half",
  } as RequestInit);
  return res.json();
}

/** Outcome of one quick save during shutdown: answered, or refused at the door. */
async function quickSave(url: string, params: Record<string, string>): Promise<"saved" | "refused"> {
  try {
    const res = await fetch(`${url}/api/open/save`, { method: "POST", body: new URLSearchParams(params) });
    if (res.status === 503) return "refused"; // a kept-alive connection asking while the server closes
    const answer = (await res.json()) as { result: boolean };
    expect(answer.result).toBe(true);
    return "saved";
  } catch (err) {
    expect((err as Error & { cause?: { code?: string } }).cause?.code).toMatch(/ECONNREFUSED|ECONNRESET|UND_ERR_SOCKET/);
    return "refused";
  }
}

/** Counts the store's ledger rows in the database the stopped server used. */
async function savedRows(env: Record<string, string>, storeId: number): Promise<number> {
  const config = loadConfig({ LOG_LEVEL: "silent", ...env });
  const db = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, poolSize: 1 });
  try {
    const [row] = await db.prisma.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM ledger_entry WHERE store_id = ${storeId}`;
    return row!.n;
  } finally {
    await db.close();
  }
}

describe.each(["SIGTERM", "SIGINT"] as const)("on %s", (signal) => {
  it(
    "finishes the requests in flight, refuses new ones, closes the database and exits 0",
    async () => {
      server = await spawnServer({ ADMIN_TOKEN });
      const { url } = server;
      const created = await fetch(`${url}/admin/stores`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "Cafe" }),
      });
      const store = (await created.json()) as { id: number; auth_code: string };
      const params = (n: number) => ({
        id: String(store.id),
        auth_code: store.auth_code,
        device: "openapi",
        number: `010-4444-${String(n).padStart(4, "0")}`,
        count: "1",
      });

      // Slow requests: headers and half the body now, the rest after the signal.
      let finishBodies!: () => void;
      const rest = new Promise<void>((resolve) => (finishBodies = resolve));
      const slow = [1, 2, 3].map((n) => slowSave(url, params(n), rest));
      // Steady load from four clients until the server stops answering.
      let stopLoad = false;
      let savedBeforeSignal = 0;
      const load = [0, 1, 2, 3].map(async (client) => {
        const outcomes: string[] = [];
        for (let i = 0; !stopLoad && outcomes.at(-1) !== "refused"; i++) {
          outcomes.push(await quickSave(url, params(100 + client * 1000 + i)));
          if (outcomes.at(-1) === "saved") savedBeforeSignal++;
        }
        return outcomes;
      });
      await until("every client to have saved", () => savedBeforeSignal >= 4);

      const started = Date.now();
      const exited = server.signal(signal);
      // The line is logged just before the server stops accepting.
      await until("the server to say it is shutting down", () => server!.stdout().includes(`"msg":"shutting down"`));
      const afterSignal = await quickSave(url, params(9999));
      finishBodies();
      const answers = await Promise.all(slow);
      stopLoad = true;
      const code = await exited;
      const took = Date.now() - started;
      const outcomes = (await Promise.all(load)).flat();

      expect(afterSignal).toBe("refused");
      expect(answers).toEqual(answers.map(() => expect.objectContaining({ result: true, total_point: 1 })));
      expect(code).toBe(0);
      // Well within the grace period, and shorter than the 10 s keep-alive timeout: connections
      // kept alive by the clients above did not hold the close open.
      expect(took).toBeLessThan(5_000);
      expect(server.stdout()).toContain(`"signal":"${signal}","msg":"shutting down"`);

      // Every answered save is in the ledger, and nothing else is.
      const saved = answers.length + outcomes.filter((o) => o === "saved").length;
      expect(outcomes.filter((o) => o === "saved").length).toBeGreaterThan(0);
      expect(await savedRows(server.database.env, store.id)).toBe(saved);

      if (!process.env.DATABASE_URL) {
        // The embedded database was released: no control file left, and its lock is free.
        expect(readControlFile(server.database.env.DATA_DIR!)).toBeNull();
        const release = await lockEmbedded(server.database.env.DATA_DIR!);
        await release();
      }
    },
    SLOW_START_MS + 30_000,
  );
});
