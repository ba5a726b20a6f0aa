// Builds the HTTP application: plugins first (one per concern), then routes. Tests call
// buildApp() and use inject or listen on a real port.
import { randomUUID } from "node:crypto";
import Fastify, { type FastifyInstance } from "fastify";
import formbody from "@fastify/formbody";
import type { Registry } from "prom-client";
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import type { Config } from "./platform/config.js";
import type { Database } from "./platform/db/client.js";
import type { Services } from "./services.js";
import { loggerOptions, OneLinePerRequest } from "./platform/log.js";
import errors from "./platform/plugins/errors.js";
import requestId from "./platform/plugins/request-id.js";
import apiAnswer from "./platform/plugins/api-answer.js";
import drain from "./platform/plugins/drain.js";
import openapi from "./platform/plugins/openapi.js";
import metrics from "./platform/plugins/metrics.js";
import securityHeaders from "./platform/plugins/security-headers.js";
import { healthRoutes } from "./platform/health.js";
import { openApiRoutes } from "./stampang/routes.js";
import { stampApiRoutes } from "./vivoldi/routes.js";
import { adminRoutes } from "./admin/routes.js";
import { stampPageRoutes } from "./vivoldi/page/routes.js";
import { sharedSecret } from "./platform/secrets.js";
import { consoleRoutes } from "./console/routes.js";

export interface AppDeps {
  config: Config;
  db: Database;
  services: Services;
  /** This app's metrics registry (see src/platform/metrics.ts). */
  metrics: Registry;
  /** Local control token for the CLI (see src/cli/run-operation.ts), besides ADMIN_TOKEN. */
  controlToken?: string;
  /** The time of the console's logins and sessions (the services were made with the same). */
  clock: () => Date;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Timeouts as in fastify/demo's server, so that slow or idle clients cannot hold connections:
 * a whole request within 60 s, its headers within 15 s, an idle keep-alive connection 10 s.
 */
const TIMEOUTS = { connectionTimeout: 120_000, requestTimeout: 60_000, keepAliveTimeout: 10_000, http: { headersTimeout: 15_000 } };

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, db, services } = deps;
  const app = Fastify({
    logger: loggerOptions(config.LOG_LEVEL),
    logController: new OneLinePerRequest(),
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: config.BODY_LIMIT,
    trustProxy: config.TRUST_PROXY,
    ...TIMEOUTS,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  await app.register(errors);
  await app.register(requestId);
  await app.register(apiAnswer);
  await app.register(drain);
  await app.register(formbody);
  await app.register(securityHeaders, {
    policy: {
      contentSecurityPolicy: {
        // The server speaks plain HTTP (TLS ends at the load balancer); upgrading would break /docs on localhost.
        directives: { upgradeInsecureRequests: null },
      },
    },
  });
  // Before the routes: @fastify/swagger documents the routes registered after it.
  await app.register(openapi, { publicBaseUrl: config.publicBaseUrl });
  await app.register(metrics, { registry: deps.metrics, db });

  await app.register(healthRoutes(db));
  await app.register(openApiRoutes({ points: services.points, phones: { region: config.PHONE_REGION, foreign: config.PHONE_FOREIGN } }));
  await app.register(stampApiRoutes(services.stamps));
  await app.register(
    stampPageRoutes({
      pages: services.stampPages,
      cookieSecret: await sharedSecret(db.prisma, "stamp_page_cookie"),
      publicBaseUrl: config.publicBaseUrl,
    }),
  );
  await app.register(
    consoleRoutes({
      ...services,
      db,
      cookieSecret: await sharedSecret(db.prisma, "console_cookie"),
      timeZone: config.TIME_ZONE,
      phones: { region: config.PHONE_REGION, foreign: config.PHONE_FOREIGN },
      publicBaseUrl: config.publicBaseUrl,
      clock: deps.clock,
    }),
    { prefix: "/console" },
  );
  await app.register(adminRoutes({ ctx: { services, db }, adminToken: config.ADMIN_TOKEN, controlToken: deps.controlToken }));
  return app;
}
