// The admin HTTP API: every operator operation under /admin, behind `Authorization: Bearer`.
// Accepted tokens are ADMIN_TOKEN and the server's local control token (written to DATA_DIR for
// the `stampd` CLI on the same machine). Without ADMIN_TOKEN the admin API is off: every request
// not carrying the control token gets the server's ordinary 404, as if the routes were absent.
// The routes are registered either way, so the OpenAPI document always describes them.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { z, ZodError } from "zod";
import { ConflictError, InvalidArgumentError, NotFoundError } from "../platform/errors.js";
import { operations, parseInput, type Operation, type OperationContext } from "./operations.js";
import { equalsConstantTime } from "../platform/secrets.js";
import { isClientError, type AnswerError } from "../platform/plugins/errors.js";
import { SECURITY } from "../platform/plugins/openapi.js";
import { FileAnswer } from "../import-export/export.js";

class UnauthorizedError extends Error {}

const answerAdminError: AnswerError = (err) => {
  const body = (error: string, message: string) => ({ error, message });
  if (err instanceof UnauthorizedError)
    return {
      status: 401,
      body: body("UNAUTHORIZED", "missing or wrong bearer token"),
      headers: { "www-authenticate": "Bearer" },
      expected: true,
    };
  if (err instanceof ZodError) {
    const i = err.issues[0]!;
    return { status: 400, body: body("INVALID_ARGUMENT", `${i.path.join(".")}: ${i.message}`), expected: true };
  }
  if (err instanceof InvalidArgumentError) return { status: 400, body: body("INVALID_ARGUMENT", err.message), expected: true };
  if (err instanceof NotFoundError) return { status: 404, body: body("NOT_FOUND", err.message), expected: true };
  if (err instanceof ConflictError) return { status: 409, body: body("CONFLICT", err.message), expected: true };
  if (isClientError(err)) return { status: err.statusCode!, body: body("BAD_REQUEST", err.message), expected: true };
  return { status: 500, body: body("INTERNAL", "internal error"), expected: false };
};

const adminError = z.object({ error: z.string(), message: z.string() });
const ANSWERS = {
  200: z.unknown().describe("the operation's result, as `stampd <command> --json` prints it"),
  400: adminError.describe("INVALID_ARGUMENT: the input is wrong (the message names the field)"),
  401: adminError.describe("UNAUTHORIZED: missing or wrong bearer token"),
  404: adminError.describe("NOT_FOUND: no such object, or the admin API is off (ADMIN_TOKEN not set)"),
  409: adminError.describe("CONFLICT: the change clashes with existing data"),
};

export interface AdminDeps {
  ctx: OperationContext;
  /** ADMIN_TOKEN; unset turns the admin API off. */
  adminToken?: string;
  /** The local control token of the CLI on this machine, accepted even when the API is off. */
  controlToken?: string;
}

/** The largest file an operation takes as its body (an import of some 100,000 lines is a few MB). */
const RAW_BODY_LIMIT = 64 * 1024 * 1024;

/**
 * The operation's input as the admin API receives it: path segments, then query string or body;
 * an operation with a raw body takes its other fields from the query string.
 */
function wireSchema(op: Operation) {
  const where = op.method === "GET" || op.rawBody ? "querystring" : "body";
  const segments = [...op.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
  if (!(op.input instanceof z.ZodObject)) return { [where]: op.input };
  // zod's mask type wants literal keys; these come from the path at run time.
  const keys = (names: string[]) => Object.fromEntries(names.map((name) => [name, true])) as Record<string, true> & Record<number, never>;
  const raw = op.rawBody ? { body: z.string().describe(`the file, as \`${op.rawBody.contentType}\``) } : {};
  return {
    ...(segments.length ? { params: op.input.pick(keys(segments)) } : {}),
    [where]: op.input.omit(keys([...segments, ...(op.rawBody ? [op.rawBody.field] : [])])),
    ...raw,
  };
}

export const adminRoutes =
  ({ ctx, adminToken, controlToken }: AdminDeps): FastifyPluginAsync =>
  async (app) => {
    const tokens = [adminToken, controlToken].filter((t): t is string => !!t);

    const authorize = async (request: FastifyRequest, reply: FastifyReply) => {
      const m = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? "");
      // Every token is compared, so the time taken does not tell which one nearly matched.
      const matches = tokens.map((t) => (m ? equalsConstantTime(m[1]!, t) : false));
      if (matches.includes(true)) return;
      if (!adminToken) {
        reply.callNotFound();
        return reply;
      }
      throw new UnauthorizedError();
    };

    for (const contentType of new Set(operations.flatMap((op) => (op.rawBody ? [op.rawBody.contentType] : [])))) {
      app.addContentTypeParser(contentType, { parseAs: "buffer", bodyLimit: RAW_BODY_LIMIT }, (_req, body, done) => done(null, body));
    }

    for (const op of operations) {
      app.route({
        method: op.method,
        url: op.path,
        // Operations are not pages: no HEAD, so that nothing but the method asked for runs.
        exposeHeadRoute: false,
        config: { answerError: answerAdminError },
        schema: {
          tags: ["admin"],
          summary: op.summary,
          description: `CLI: \`stampd ${op.name}\``,
          security: [{ [SECURITY.admin]: [] }],
          ...wireSchema(op),
          response: ANSWERS,
        },
        // Validation happens in the handler, after authorization.
        validatorCompiler: () => (data: unknown) => ({ value: data }),
        preHandler: authorize,
        handler: async (request, reply) => {
          const body = op.rawBody
            ? { [op.rawBody.field]: request.body }
            : request.body && typeof request.body === "object"
              ? request.body
              : {};
          const input = parseInput(op, { ...(request.query as object), ...body, ...(request.params as object) });
          const result = await op.run(ctx, input);
          if (!(result instanceof FileAnswer)) return result;
          // Streamed as it is read; an error while reading cuts the answer short.
          return reply.headers(result.headers).send(result.body);
        },
      });
    }
  };
