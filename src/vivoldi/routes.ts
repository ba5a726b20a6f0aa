// The Vivoldi-compatible stamp API: /api/stamp/v1/{validate,create,add,remove,update,redeem,delete}.
// JSON or form bodies for POST and PUT, the query string for GET and DELETE (a body is read too).
// The routes only read the wire format and shape the answers; the rules live in StampService and
// the ledger.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { StampError, type Answer, type StampService } from "./service.js";
import { SECURITY } from "../platform/plugins/openapi.js";
import { answerStampError, CODE_TABLE, CODES, rateHeaders, success } from "./answers.js";
import { stampPayloadSchema } from "./payload.js";
import { acceptEmptyJson, paramsOf } from "../platform/wire.js";
import { noteAnswer } from "../platform/plugins/api-answer.js";
import { createParams, parseApiKey, parseParams, redeemParams, stampIdxParams, updateParams } from "./params.js";

const envelope = (result: z.ZodType) => z.object({ code: z.number(), message: z.string(), result: result.nullable() });
const failure = envelope(z.null()).meta({
  id: "StampApiFailure",
  description: `A refused call: \`code\` and \`message\` say why.\n\n${CODE_TABLE}`,
});
const ANSWERS =
  "Answers `{code, message, result}`; `code` 0 is success. Counted calls carry `X-RateLimit-Limit`, " +
  "`X-RateLimit-Remaining` and `X-RateLimit-Reset` (epoch seconds); a 429 also `Retry-After`.\n\n" +
  CODE_TABLE;

/** The failure answers of every endpoint, by HTTP status, for the documentation. */
const failureResponses = Object.fromEntries([...new Set(CODES.map((f) => f.status))].filter((s) => s !== 200).map((s) => [s, failure]));

export const stampApiRoutes =
  (stamps: StampService): FastifyPluginAsync =>
  async (app) => {
    acceptEmptyJson(app);

    /**
     * Authenticates (4010 without a database call when the header is missing or malformed), then
     * parses; a parse failure with a valid key is counted as a call before it is answered.
     */
    const route = <P>(
      method: "GET" | "POST" | "PUT" | "DELETE",
      name: string,
      summary: string,
      params: z.ZodType<P>,
      result: z.ZodType,
      act: (apiKey: string, parsed: P) => Promise<Answer<unknown>>,
    ) => {
      app.route({
        method,
        url: `/api/stamp/v1/${name}`,
        // Every call is counted against the rate limits: HEAD must not run one.
        exposeHeadRoute: false,
        config: { answerError: answerStampError },
        schema: {
          tags: ["Stamp API (Vivoldi)"],
          summary,
          description: ANSWERS,
          security: [{ [SECURITY.apiKey]: [] }],
          ...(method === "GET" || method === "DELETE" ? { querystring: params } : { body: params }),
          response: { 200: envelope(result), ...failureResponses },
        },
        // Validation happens in the handler, after the API key.
        validatorCompiler: () => (data: unknown) => ({ value: data }),
        handler: async (request: FastifyRequest, reply: FastifyReply) => {
          const apiKey = parseApiKey(request.headers.authorization);
          let parsed: P;
          try {
            parsed = parseParams(params, paramsOf(request));
          } catch (err) {
            if (err instanceof StampError) return stamps.reject(apiKey, err);
            throw err;
          }
          const answer = await act(apiKey, parsed);
          noteAnswer(request, "stamp", 0, answer.storeId);
          reply.headers(rateHeaders(answer.rate));
          return success(answer.result);
        },
      });
    };

    route("GET", "validate", "Check a stamp and return it", stampIdxParams, stampPayloadSchema, (key, idx) => stamps.validate(key, idx));
    // The original's documentation shows create's result as a string: clients that read it as one
    // (Java getString, a Go string field) cannot decode a JSON number.
    route(
      "POST",
      "create",
      "Issue a stamp of a card to a customer; returns its stampIdx (a string of digits)",
      createParams,
      z.string().regex(/^\d+$/).describe("the new stampIdx, as a string of digits"),
      async (key, s) => {
        const answer = await stamps.create(key, s);
        return { ...answer, result: String(answer.result) };
      },
    );
    route("PUT", "add", "Add one stamp", stampIdxParams, z.null(), (key, idx) => stamps.add(key, idx));
    route("PUT", "remove", "Remove one stamp (never below 0)", stampIdxParams, z.null(), (key, idx) => stamps.remove(key, idx));
    route("PUT", "update", "Change a stamp", updateParams, z.null(), (key, p) => stamps.update(key, p.stampIdx, p.update));
    route("PUT", "redeem", "Mark the benefit of a full stamp used", redeemParams, z.null(), (key, p) =>
      stamps.redeem(key, p.stampIdx, p.onsitePassword),
    );
    route("DELETE", "delete", "Delete a stamp; its ledger rows stay", stampIdxParams, z.null(), (key, idx) => stamps.delete(key, idx));
  };
