// The admin HTTP API: every operator operation under /admin, behind `Authorization: Bearer`.
// Accepted tokens are ADMIN_TOKEN and the server's local control token (written to DATA_DIR for
// the `stampd` CLI on the same machine); with neither, the routes answer 404 as if absent.
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { ZodError } from "zod";
import { ConflictError, InvalidArgumentError, NotFoundError } from "../../errors.js";
import { operations, type OperationContext } from "../../admin/operations.js";
import { equalsConstantTime } from "../../secrets.js";
import { isClientError, type AnswerError } from "../../plugins/errors.js";

class UnauthorizedError extends Error {}

const answerAdminError: AnswerError = (err) => {
  const body = (error: string, message: string) => ({ error, message });
  if (err instanceof UnauthorizedError) return { status: 401, body: body("UNAUTHORIZED", "missing or wrong bearer token"), headers: { "www-authenticate": "Bearer" }, expected: true };
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

export interface AdminDeps {
  ctx: OperationContext;
  /** Bearer tokens accepted; empty means the admin API is off. */
  tokens: string[];
}

export const adminRoutes = ({ ctx, tokens }: AdminDeps): FastifyPluginAsync =>
  async (app) => {
    if (tokens.length === 0) return;

    const authorize = async (request: FastifyRequest) => {
      const m = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? "");
      // Every token is compared, so the time taken does not tell which one nearly matched.
      const matches = tokens.map((t) => (m ? equalsConstantTime(m[1]!, t) : false));
      if (!matches.includes(true)) throw new UnauthorizedError();
    };

    for (const op of operations) {
      app.route({
        method: op.method,
        url: op.path,
        config: { answerError: answerAdminError },
        schema: {
          tags: ["admin"],
          summary: op.summary,
          security: [{ bearer: [] }],
          ...(op.method === "GET" ? { querystring: op.input } : { body: op.input }),
        },
        // Validation happens in the handler, after authorization.
        validatorCompiler: () => (data) => ({ value: data }),
        preHandler: authorize,
        handler: async (request) => {
          const input = op.input.parse({
            ...(request.query as object),
            ...(request.body && typeof request.body === "object" ? request.body : {}),
            ...(request.params as object),
          });
          return op.run(ctx, input);
        },
      });
    }
  };

