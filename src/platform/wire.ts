// What the OPEN API and the stamp API read off the wire alike: one set of parameters from the
// query string and the body, and a JSON body that may be empty.
import type { FastifyInstance, FastifyRequest } from "fastify";

/** Query string and body as one set of parameters; the body wins. A body that is not an object adds none. */
export function paramsOf(request: FastifyRequest): Record<string, unknown> {
  return { ...(request.query as Record<string, unknown>), ...(isParamsBody(request.body) ? request.body : {}) };
}

/** A body that holds parameters (a form or a JSON object), or none at all (null or undefined). */
export function isParamsBody(body: unknown): body is Record<string, unknown> | null | undefined {
  return body === undefined || body === null || (typeof body === "object" && !Array.isArray(body));
}

/**
 * Clients that send `Content-Type: application/json` on every call (GET too, or a POST whose
 * parameters are all in the query string, as Python's `requests.post(url, params=...)` with a
 * JSON default header) may send no body: that is no parameters, not bad JSON. Only adds that case
 * to Fastify's parser, in the scope of `app`.
 */
export function acceptEmptyJson(app: FastifyInstance): void {
  const json = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    const text = body.toString();
    if (text === "") done(null, undefined);
    else void json(request, text, done);
  });
}
