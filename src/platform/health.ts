// Liveness and readiness for orchestrators and load balancers.
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Database } from "./db/client.js";
import { pendingMigrations } from "./db/migrate.js";

const status = z.object({ status: z.string(), pending: z.array(z.string()).optional() });

export const healthRoutes =
  (db: Database): FastifyPluginAsyncZod =>
  async (app) => {
    app.get("/healthz", { schema: { tags: ["operations"], response: { 200: status } } }, async () => ({ status: "ok" }));

    app.get("/readyz", { schema: { tags: ["operations"], response: { 200: status, 503: status } } }, async (request, reply) => {
      try {
        // First: on a full disk the embedded database refuses every statement, reads included.
        const writeProblem = await db.writeProblem();
        if (writeProblem) {
          request.log.warn({ reason: writeProblem }, "writes failing");
          return reply.code(503).send({ status: "writes failing" });
        }
        const pending = await pendingMigrations(db);
        if (pending.length > 0) return reply.code(503).send({ status: "migrations pending", pending });
        return { status: "ready" };
      } catch (err) {
        request.log.warn({ err }, "database not reachable");
        return reply.code(503).send({ status: "database unreachable" });
      }
    });
  };
