// Security headers on every answer, by helmet. A policy's headers do not depend on the request,
// so helmet runs once per policy, when the routes are registered, and each answer gets the
// headers it set (running helmet's middleware for every request was a noticeable share of a
// save's cost: docs/performance.md). A route may give its own options in its config
// (`securityHeaders`) in place of the app's.
import fp from "fastify-plugin";
import helmet, { type HelmetOptions } from "helmet";
import type { IncomingMessage, ServerResponse } from "node:http";

declare module "fastify" {
  interface FastifyContextConfig {
    securityHeaders?: HelmetOptions;
  }
}

type Headers = Record<string, string>;

/** The headers helmet sets for a policy, read off a response that records them. */
function headersOf(policy: HelmetOptions): Headers {
  const headers: Headers = {};
  const recorder = {
    setHeader: (name: string, value: string) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  // helmet throws on a bad option and otherwise calls next, without an error, before returning.
  helmet(policy)({} as IncomingMessage, recorder as unknown as ServerResponse, () => {});
  return headers;
}

export default fp<{ policy: HelmetOptions }>(async (app, { policy }) => {
  const appHeaders = headersOf(policy);
  const routeHeaders = new Map<HelmetOptions, Headers>();
  app.addHook("onRoute", (route) => {
    const own = route.config?.securityHeaders;
    if (own && !routeHeaders.has(own)) routeHeaders.set(own, headersOf(own));
  });
  app.addHook("onRequest", (request, reply, done) => {
    const own = request.routeOptions.config.securityHeaders;
    reply.headers(own ? routeHeaders.get(own)! : appHeaders);
    done();
  });
});
