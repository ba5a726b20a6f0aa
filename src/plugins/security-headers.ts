// Security headers on every answer, by helmet. Its middleware is built once per policy, when the
// routes are registered (@fastify/helmet builds it anew for every request, a noticeable share of
// a save's cost: docs/performance.md). A route may give its own options in its config
// (`securityHeaders`) in place of the app's.
import fp from "fastify-plugin";
import helmet, { type HelmetOptions } from "helmet";

declare module "fastify" {
  interface FastifyContextConfig {
    securityHeaders?: HelmetOptions;
  }
}

export default fp<{ policy: HelmetOptions }>(async (app, { policy }) => {
  const appHeaders = helmet(policy);
  const routeHeaders = new Map<HelmetOptions, ReturnType<typeof helmet>>();
  app.addHook("onRoute", (route) => {
    const own = route.config?.securityHeaders;
    if (own && !routeHeaders.has(own)) routeHeaders.set(own, helmet(own));
  });
  app.addHook("onRequest", (request, reply, done) => {
    const own = request.routeOptions.config.securityHeaders;
    // helmet throws on a bad option (at registration, above) and calls next without an error.
    (own ? routeHeaders.get(own)! : appHeaders)(request.raw, reply.raw, () => done());
  });
});
