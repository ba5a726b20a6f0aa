// The Stampang-compatible OPEN API: /api/open/{save,use,balance,history} and the extensions
// /api/open/{transfer,cancel}, GET and POST, form, JSON or query string. The routes only read
// the wire format and shape the answers; the rules live in PointsService and the ledger.
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { FastifyRequest } from "fastify";
import type { PhonePolicy } from "../platform/phone.js";
import { z } from "zod";
import type { Caller, PointsService } from "./service.js";
import { answerOpenError, FAILURE_CODES, FAILURE_TABLE, OK_CODE, PointsError } from "./answers.js";
import { acceptEmptyJson, paramsOf } from "../platform/wire.js";
import { noteAnswer } from "../platform/plugins/api-answer.js";
import { presentEntry } from "./entries.js";
import {
  cancelWire,
  changeWire,
  checkWire,
  historyWire,
  parseCaller,
  parseChangeCount,
  parseHistoryId,
  parseIdempotencyKey,
  parseMember,
  parsePage,
  parseWithExpiry,
  balanceWire,
  parseReceiver,
  transferWire,
  type WireParams,
} from "./params.js";

const failureSchema = z
  .object({ result: z.literal(false), code: z.enum(FAILURE_CODES), msg: z.string() })
  .meta({ id: "OpenApiFailure", description: `A refused call (still HTTP 200):\n\n${FAILURE_TABLE}` });
const ANSWERS = `Always answers HTTP 200: \`result\` true with the data, or false with one of these codes (\`msg\` may add the parameter at fault in parentheses):\n\n${FAILURE_TABLE}`;
const changed = z.object({ result: z.literal(true), msg: z.literal("ok"), member_no: z.number(), total_point: z.number() });
const transferred = changed.extend({ to_member_no: z.number(), to_total_point: z.number() });
const balance = z.object({
  result: z.literal(true),
  msg: z.literal("ok"),
  member_no: z.number(),
  total_count: z.number(),
  expiring: z
    .array(z.object({ count: z.number(), date: z.string().describe("the last day, YYYY-MM-DD") }))
    .optional()
    .describe("extension, only with `with_expiry=1`: the next three dates on which part of the balance lapses, soonest first"),
});
const history = z.object({
  result: z.literal(true),
  msg: z.literal("ok"),
  list: z.array(
    z.object({
      id: z.number(),
      login_id: z.string(),
      place: z.string(),
      type: z.number().describe("0 save, 1 use"),
      count: z.number(),
      content: z.string().describe("적립, 차감, 양도, 취소, 이관 (an opening balance imported from Stampang) or 소멸 (expired)"),
      date: z.string().describe("UTC, ISO 8601"),
    }),
  ),
});

export interface OpenApiDeps {
  points: PointsService;
  phones: PhonePolicy;
}

export const openApiRoutes =
  ({ points, phones }: OpenApiDeps): FastifyPluginAsyncZod =>
  async (app) => {
    acceptEmptyJson(app);

    /**
     * GET reads the query string; POST reads the body too (form, JSON, or none at all). Every
     * call authenticates first (AUTH_FAILED without a database call when the credentials are
     * missing), then its parameters are checked against `wire` and parsed; a parse failure is
     * still counted as a call before it is answered.
     */
    const route = <T>(
      name: string,
      summary: string,
      wire: z.ZodType,
      ok: z.ZodType,
      parse: (p: WireParams, request: FastifyRequest) => T,
      act: (caller: Caller, parsed: T) => Promise<object>,
    ) => {
      const handler = async (request: FastifyRequest): Promise<object> => {
        const p = paramsOf(request);
        const caller = parseCaller(p);
        if (!caller) throw new PointsError("auth_failed");
        // The store named, for the log line; a refusal's answer replaces the code (answerOpenError).
        noteAnswer(request, "open", OK_CODE, caller.storeId);
        let parsed: T;
        try {
          checkWire(wire, request.body, p);
          parsed = parse(p, request);
        } catch (err) {
          if (err instanceof PointsError) return points.reject(caller, err);
          throw err;
        }
        return { result: true, msg: "ok", ...(await act(caller, parsed)) };
      };
      for (const method of ["GET", "POST"] as const) {
        app.route({
          method,
          url: `/api/open/${name}`,
          // Every call is counted and most write: HEAD (a link checker's) must not run one.
          exposeHeadRoute: false,
          config: { answerError: answerOpenError },
          schema: {
            tags: ["OPEN API (Stampang)"],
            summary,
            description: ANSWERS,
            querystring: wire,
            ...(method === "POST" ? { body: wire.optional() } : {}),
            response: { 200: z.union([ok, failureSchema]) },
          },
          // Validation happens in the handler, after authentication.
          validatorCompiler: () => (data: unknown) => ({ value: data }),
          handler,
        });
      }
    };

    for (const kind of ["save", "use"] as const) {
      route(
        kind,
        kind === "save" ? "Save stamps (points) for a member" : "Use a member's stamps (points)",
        changeWire,
        changed,
        (p, request) => ({
          member: parseMember(p, phones),
          count: parseChangeCount(p),
          idempotencyKey: parseIdempotencyKey(request.headers["idempotency-key"], p),
        }),
        async (caller, change) => {
          const r = await points[kind](caller, change);
          return { member_no: r.memberNo, total_point: r.balance };
        },
      );
    }

    route(
      "transfer",
      "Give stamps (points) to another member (extension)",
      transferWire,
      transferred,
      (p, request) => ({
        member: parseMember(p, phones),
        to: parseReceiver(p, phones),
        count: parseChangeCount(p),
        idempotencyKey: parseIdempotencyKey(request.headers["idempotency-key"], p),
      }),
      async (caller, transfer) => {
        const r = await points.transfer(caller, transfer);
        return { member_no: r.memberNo, total_point: r.balance, to_member_no: r.to.memberNo, to_total_point: r.to.balance };
      },
    );

    route(
      "cancel",
      "Reverse a save or use of a member (extension)",
      cancelWire,
      changed,
      (p, request) => ({
        member: parseMember(p, phones),
        historyId: parseHistoryId(p),
        idempotencyKey: parseIdempotencyKey(request.headers["idempotency-key"], p),
      }),
      async (caller, cancel) => {
        const r = await points.cancel(caller, cancel);
        return { member_no: r.memberNo, total_point: r.balance };
      },
    );

    route(
      "balance",
      "A member's balance",
      balanceWire,
      balance,
      (p) => ({ member: parseMember(p, phones), withExpiry: parseWithExpiry(p) }),
      async (caller, { member, withExpiry }) => {
        const r = await points.balance(caller, member, withExpiry);
        return { member_no: r.memberNo, total_count: r.balance, ...(r.expiring ? { expiring: r.expiring } : {}) };
      },
    );

    route(
      "history",
      "A member's history, newest first",
      historyWire,
      history,
      (p) => ({ member: parseMember(p, phones), page: parsePage(p) }),
      async (caller, { member, page }) => {
        const entries = await points.history(caller, member, page);
        return {
          list: entries.map((e) => ({
            id: e.id,
            login_id: e.login_id,
            place: e.place,
            ...presentEntry(e),
            date: e.date,
          })),
        };
      },
    );
  };
