// Which API answered a request, for which store, and with which `code`: every OPEN API answer is
// HTTP 200, so without this a refused call looks like any other in the logs and in /metrics. The
// routes and their error answers note it; the request log line (src/platform/log.ts) and the answer counter
// (src/platform/plugins/metrics.ts) read it.
import fp from "fastify-plugin";
import type { FastifyRequest } from "fastify";

export interface ApiAnswer {
  api: "open" | "stamp";
  /** The store the call named (OPEN API `id`) or its API key belongs to; null when not known. */
  storeId: number | null;
  /** The answer's `code`: `OK` for an OPEN API success (which carries none), `0` for a stamp API one. */
  code: string;
}

declare module "fastify" {
  interface FastifyRequest {
    apiAnswer: ApiAnswer | null;
  }
}

/** Notes the answer of `request`; a store id noted earlier in the request is kept when none is given. */
export function noteAnswer(request: FastifyRequest, api: ApiAnswer["api"], code: string | number, storeId?: number | null): void {
  request.apiAnswer = { api, storeId: storeId ?? request.apiAnswer?.storeId ?? null, code: String(code) };
}

export default fp(async (app) => {
  app.decorateRequest("apiAnswer", null);
});
