// Prometheus metrics. Each app gets its own Registry (tests run several apps in one process, and
// a shared default registry would refuse the second app's metrics); the HTTP and pool figures are
// made per app in src/platform/plugins/metrics.ts. The domain counters below are made once per process and
// exposed by every app's registry, so that the code doing the work (ledger, gate, webhook worker)
// counts with one line and needs no extra dependency; in production one process runs one server.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type Metric } from "prom-client";

/** Ledger rows written, by entry kind (save, use, transfer, ...). */
export const ledgerWrites = new Counter({
  name: "stampd_ledger_writes_total",
  help: "Ledger changes applied (one per save, use, transfer, reversal or stamp change), by kind",
  labelNames: ["kind"] as const,
  registers: [],
});

/** Calls refused by a rate limit, by API (open: the OPEN API's daily limit). */
export const rateLimitRejections = new Counter({
  name: "stampd_rate_limit_rejections_total",
  help: "Calls refused by a rate limit, by API",
  labelNames: ["api"] as const,
  registers: [],
});

/** Webhook delivery attempts, by outcome (delivered, failed, ...). */
export const webhookDeliveries = new Counter({
  name: "stampd_webhook_deliveries_total",
  help: "Webhook delivery attempts, by outcome",
  labelNames: ["outcome"] as const,
  registers: [],
});

/** `expire` rows written by this process's expiry sweeper (one per account and expiry moment). */
export const sweptExpireRows = new Counter({
  name: "stampd_expiry_sweep_rows_total",
  help: "Expire rows (one per account and expiry moment) written by the expiry sweeper",
  registers: [],
});

/** Saves and uses per commit: how many calls each group commit applied together (src/ledger/group-commit.ts). */
export const ledgerBatchCalls = new Histogram({
  name: "stampd_ledger_batch_calls",
  help: "OPEN API saves and uses applied by one ledger call and one commit (group commit)",
  buckets: [1, 2, 4, 8, 16, 32, 64, 256, 1024],
  registers: [],
});

/** Saves and uses queued for the next batch while the batches in flight run (src/ledger/group-commit.ts). */
export const ledgerBatchWaiting = new Gauge({
  name: "stampd_ledger_batch_waiting",
  help: "OPEN API saves and uses waiting to go with the next ledger call and commit (group commit)",
  registers: [],
});

/** A registry for one app: the process's default metrics and the domain counters. */
export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const metric of [
    ledgerWrites,
    rateLimitRejections,
    webhookDeliveries,
    sweptExpireRows,
    ledgerBatchCalls,
    ledgerBatchWaiting,
  ] as Metric[])
    registry.registerMetric(metric);
  return registry;
}
