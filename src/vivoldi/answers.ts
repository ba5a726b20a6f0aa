// The stamp API's answers: the envelope `{code, message, result}` and, for every failure, the
// spec's code table with its HTTP status. Counted calls also carry the X-RateLimit-* headers.
import type { FastifyRequest } from "fastify";
import { isClientError, type AnswerError } from "../platform/plugins/errors.js";
import { noteAnswer } from "../platform/plugins/api-answer.js";
import { StampError, type StampFailure } from "./service.js";
import type { RateReport } from "./rate.js";

export const FAILURES: Record<StampFailure, { status: number; code: number; message: string }> = {
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
  wrong_onsite_password: { status: 200, code: 2008, message: "Wrong on-site password" },
  card_not_found: { status: 200, code: 2009, message: "Card not found" },
  invalid_period: { status: 200, code: 2010, message: "Invalid validity period" },
};

export const UNEXPECTED = { status: 500, code: 5000, message: "Unexpected error" };

/** The code table in Markdown, for the OpenAPI document. */
export const CODE_TABLE = [
  "| HTTP | code | message |",
  "|---|---|---|",
  "| 200 | `0` | (empty) |",
  ...[...Object.values(FAILURES), UNEXPECTED].map((f) => `| ${f.status} | \`${f.code}\` | ${f.message} |`),
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
    const f = FAILURES[err.reason];
    noteAnswer(request, "stamp", f.code, err.storeId);
    return {
      status: f.status,
      body: { code: f.code, message: err.detail ? `${f.message}: ${err.detail}` : f.message, result: null },
      headers: err.rate ? rateHeaders(err.rate) : {},
      expected: true,
    };
  }
  if (isClientError(err)) {
    const f = FAILURES.invalid_param;
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
