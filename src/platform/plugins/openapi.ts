// The OpenAPI 3 document, made from the zod schemas that validate each route (so it cannot drift
// from what the server accepts), served as /docs/json and browsable at /docs. Routes registered
// after this plugin are documented; /docs itself is hidden by @fastify/swagger-ui.
import { readFileSync } from "node:fs";
import fp from "fastify-plugin";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import { jsonSchemaTransform, jsonSchemaTransformObject } from "fastify-type-provider-zod";

const { version } = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };

/** Names of the security schemes that routes refer to in `schema.security`. */
export const SECURITY = {
  /** The admin API: `Authorization: Bearer <ADMIN_TOKEN>`. */
  admin: "bearer",
  /** The stamp API: `Authorization: APIKey <key>`. */
  apiKey: "APIKey",
} as const;

export interface OpenApiDeps {
  /** Where clients reach this server (PUBLIC_BASE_URL). */
  publicBaseUrl: string;
}

export default fp<OpenApiDeps>(async (app, { publicBaseUrl }) => {
  await app.register(swagger, {
    openapi: {
      info: {
        title: "stampd",
        version,
        description:
          "Stamp and loyalty-point ledger server: the Stampang-compatible OPEN API (`/api/open/*`), " +
          "the Vivoldi-compatible stamp API (`/api/stamp/v1/*`), the admin API (`/admin/*`) and operations endpoints.",
      },
      servers: [{ url: publicBaseUrl }],
      components: {
        securitySchemes: {
          [SECURITY.admin]: {
            type: "http",
            scheme: "bearer",
            description: "`Authorization: Bearer <ADMIN_TOKEN>`; the admin API answers 404 when ADMIN_TOKEN is not set.",
          },
          [SECURITY.apiKey]: {
            type: "apiKey",
            in: "header",
            name: "Authorization",
            description: "`Authorization: APIKey <key>` (enter `APIKey <key>` as the value).",
          },
        },
      },
    },
    transform: jsonSchemaTransform,
    // Schemas named with `.meta({ id })` become components/schemas, referred to by $ref.
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: "/docs", uiConfig: { validatorUrl: null } });
});
