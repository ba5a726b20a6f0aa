// The stamp API's answers: the envelope `{code, message, result}` and, for every failure, the
// spec's code table with its HTTP status. Counted calls also carry the X-RateLimit-* headers.
import type { FastifyRequest } from "fastify";
import { isClientError, type AnswerError } from "../platform/plugins/errors.js";
import { noteAnswer } from "../platform/plugins/api-answer.js";
import { StampError } from "./service.js";
import type { RateReport } from "./rate.js";
import type { StampApiStatus } from "../ledger/stamps.js";

/** Every status of the stamp API's ledger functions, and a request's own bad parameters. */
export type StampStatus = StampApiStatus | "invalid_param";
/** Why a call was refused. */
export type StampFailure = Exclude<StampStatus, "ok">;

interface WireAnswer {
  status: number;
  code: number;
  message: string;
  /** Appended to the message when the refusal itself has none. */
  detail?: string;
}

/** The wire answer of every status: the spec's code table with its HTTP status. */
export const ANSWERS: Record<StampStatus, WireAnswer> = {
  ok: { status: 200, code: 0, message: "" },
  invalid_param: { status: 400, code: 1000, message: "Missing or malformed parameter" },
  unauthorized: { status: 401, code: 4010, message: "Missing, malformed, unknown or revoked API key" },
  plan_required: { status: 403, code: 4030, message: "The account's plan does not include this API" },
  rate_limited: { status: 429, code: 4290, message: "Rate limit reached" },
  stamp_not_found: { status: 200, code: 2001, message: "Stamp not found" },
  not_started: { status: 200, code: 2002, message: "Stamp not valid yet" },
  expired: { status: 200, code: 2003, message: "Stamp expired" },
  inactive: { status: 200, code: 2004, message: "Stamp inactive" },
  already_used: { status: 200, code: 2005, message: "Benefit already used" },
  card_full: { status: 200, code: 2006, message: "Card already full" },
  not_enough_stamps: { status: 200, code: 2007, message: "Not enough stamps" },
  empty: { status: 200, code: 2007, message: "Not enough stamps", detail: "the stamp has no stamp to remove" },
  wrong_onsite_password: { status: 200, code: 2008, message: "Wrong on-site password" },
  password_missing: {
    status: 400,
    code: 1000,
    message: "Missing or malformed parameter",
    detail: "onsitePwd is required: the card has onsiteYn=Y",
  },
  card_not_found: { status: 200, code: 2009, message: "Card not found" },
  invalid_period: {
    status: 200,
    code: 2010,
    message: "Invalid validity period",
    detail: "strtYmd must not be after endYmd, and endYmd at most 5 years from today",
  },
  above_maximum: { status: 400, code: 1000, message: "Missing or malformed parameter", detail: "stamps is above the card's maxStamps" },
  above_new_maximum: {
    status: 400,
    code: 1000,
    message: "Missing or malformed parameter",
    detail: "cardIdx: the stamp holds more stamps than that card's maxStamps; give stamps too",
  },
};

export const UNEXPECTED = { status: 500, code: 5000, message: "Unexpected error" };

/** Each code once, in the table's order, and the unexpected error. */
export const CODES = [...new Map([...Object.values(ANSWERS), UNEXPECTED].map((a) => [a.code, a])).values()];

/** The code table in Markdown, for the OpenAPI document. */
export const CODE_TABLE = [
  "| HTTP | code | message |",
  "|---|---|---|",
  ...CODES.map((f) => `| ${f.status} | \`${f.code}\` | ${f.message || "(empty)"} |`),
].join("\n");

export interface Envelope<T> {
  code: number;
  message: string;
  result: T | null;
}

export const success = <T>(result: T): Envelope<T> => ({ code: 0, message: "", result });

export function rateHeaders(rate: RateReport): Record<string, string> {
  return {
    "x-ratelimit-limit": String(rate.limit),
    "x-ratelimit-remaining": String(rate.remaining),
    "x-ratelimit-reset": String(rate.resetsAt),
    ...(rate.retryAfter === undefined ? {} : { "retry-after": String(rate.retryAfter) }),
  };
}

/** Every error on a stamp API route, including Fastify's own (bad JSON, body too large). */
export const answerStampError: AnswerError = (err: unknown, request: FastifyRequest) => {
  if (err instanceof StampError) {
    const f = ANSWERS[err.reason];
    const detail = err.detail ?? f.detail;
    noteAnswer(request, "stamp", f.code, err.storeId);
    return {
      status: f.status,
      body: { code: f.code, message: detail ? `${f.message}: ${detail}` : f.message, result: null },
      headers: err.rate ? rateHeaders(err.rate) : {},
      expected: true,
    };
  }
  if (isClientError(err)) {
    const f = ANSWERS.invalid_param;
    noteAnswer(request, "stamp", f.code);
    return { status: f.status, body: { code: f.code, message: `${f.message}: the body (${err.message})`, result: null }, expected: true };
  }
  noteAnswer(request, "stamp", UNEXPECTED.code);
  return {
    status: UNEXPECTED.status,
    body: { code: UNEXPECTED.code, message: `${UNEXPECTED.message} (request id ${request.id})`, result: null },
    expected: false,
  };
};
