// Builds the HTTP application: plugins first (one per concern), then routes. Tests call
// buildApp() and use inject or listen on a real port.
import { randomUUID } from "node:crypto";
import Fastify, { type FastifyInstance } from "fastify";
import formbody from "@fastify/formbody";
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import type { Config } from "./config.js";
import type { Database } from "./db/client.js";
import type { Services } from "./services.js";
import { loggerOptions, OneLinePerRequest } from "./log.js";
import errors from "./plugins/errors.js";
import requestId from "./plugins/request-id.js";
import { healthRoutes } from "./api/health.js";
import { openApiRoutes } from "./api/open/routes.js";
import { stampApiRoutes } from "./api/stamp/routes.js";
import { adminRoutes } from "./api/admin/routes.js";

export interface AppDeps {
  config: Config;
  db: Database;
  services: Services;
  /** Local control token for the CLI (see src/cli/remote.ts), besides ADMIN_TOKEN. */
  controlToken?: string;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

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
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  await app.register(errors);
  await app.register(requestId);
  await app.register(formbody);

  await app.register(healthRoutes(db));
  await app.register(openApiRoutes({ points: services.points, phoneRegion: config.PHONE_REGION }));
  await app.register(stampApiRoutes(services.stamps));
  await app.register(
    adminRoutes({
      ctx: { services, db },
      tokens: [config.ADMIN_TOKEN, deps.controlToken].filter((t): t is string => !!t),
    }),
  );
  return app;
}
