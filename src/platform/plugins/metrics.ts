// GET /metrics in Prometheus text format, and the per-app figures behind it: requests and latency
// per route pattern (never the raw URL, whose ids and query strings would make every request a new
// series) and the database pool's use.
import fp from "fastify-plugin";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { Database } from "../db/client.js";

export interface MetricsDeps {
  registry: Registry;
  db: Database;
}

/** The label of requests that matched no route (404s), so that scanners make one series. */
const UNMATCHED = "unmatched";

export default fp<MetricsDeps>(async (app, { registry, db }) => {
  const labelNames = ["method", "route", "status"] as const;
  const requests = new Counter({
    name: "stampd_http_requests_total",
    help: "HTTP requests answered, by method, route pattern and status",
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "stampd_http_request_duration_seconds",
    help: "Time to answer HTTP requests, by method, route pattern and status",
    labelNames,
    registers: [registry],
  });
  const answers = new Counter({
    name: "stampd_api_answers_total",
    help: "OPEN API and stamp API answers, by API (open, stamp) and the answer's code (OPEN API success: OK; stamp API success: 0)",
    labelNames: ["api", "code"] as const,
    registers: [registry],
  });
  new Gauge({
    name: "stampd_db_pool_connections",
    help: "Database connections held by the pool, in use or idle",
    labelNames: ["state"] as const,
    registers: [registry],
    collect() {
      const s = db.poolStats();
      this.set({ state: "in_use" }, s.total - s.idle);
      this.set({ state: "idle" }, s.idle);
    },
  });
  new Gauge({
    name: "stampd_db_pool_waiting",
    help: "Queries waiting for a free database connection",
    registers: [registry],
    collect() {
      this.set(db.poolStats().waiting);
    },
  });

  app.addHook("onResponse", (request, reply, done) => {
    const labels = { method: request.method, route: request.routeOptions.url ?? UNMATCHED, status: reply.statusCode };
    requests.inc(labels);
    duration.observe(labels, reply.elapsedTime / 1000);
    if (request.apiAnswer) answers.inc({ api: request.apiAnswer.api, code: request.apiAnswer.code });
    done();
  });

  app.get("/metrics", { schema: { tags: ["operations"], summary: "Prometheus metrics (text format)" } }, async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
});
