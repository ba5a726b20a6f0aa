// The one error handler. Each API answers failures in its own wire format, so a route may name an
// `answerError` in its config that turns any error into that format; every other route answers
// a plain JSON error. Unexpected errors are logged with the request id, never sent to the client.
import fp from "fastify-plugin";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";

export interface ErrorAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** Turns an error into an API's answer; `expected` false means it is logged as an error. */
export type AnswerError = (err: unknown, request: FastifyRequest) => ErrorAnswer & { expected: boolean };

declare module "fastify" {
  interface FastifyContextConfig {
    answerError?: AnswerError;
  }
}

/** A client's mistake caught by Fastify itself (bad JSON, too large, wrong content type, schema). */
export function isClientError(err: unknown): err is FastifyError {
  const status = (err as FastifyError)?.statusCode;
  return typeof status === "number" && status >= 400 && status < 500;
}

export default fp(async (app) => {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const custom = request.routeOptions.config?.answerError;
    if (custom) {
      const answer = custom(err, request);
      if (!answer.expected) request.log.error({ err }, "request failed");
      return reply
        .code(answer.status)
        .headers(answer.headers ?? {})
        .send(answer.body);
    }
    if (isClientError(err)) {
      return reply.code(err.statusCode!).send({ error: err.code ?? "BAD_REQUEST", message: err.message });
    }
    request.log.error({ err }, "request failed");
    return reply.code(500).send({ error: "INTERNAL", message: "internal error", requestId: request.id });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: "NOT_FOUND", message: `no route ${request.method} ${request.url.split("?")[0]}` });
  });
});
