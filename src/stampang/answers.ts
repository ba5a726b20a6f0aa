// The OPEN API's answers: HTTP 200 always, `result` true or false, and on failure the spec's
// `code` and Korean `msg`. FAILURES is the spec's failure table; STATUS_ANSWERS maps every status
// of the ledger's functions to its answer.
import type { FastifyRequest } from "fastify";
import { isClientError, type AnswerError } from "../platform/plugins/errors.js";
import { noteAnswer } from "../platform/plugins/api-answer.js";
import type { ChangeStatus, GateStatus, ReadStatus, ReversalStatus, TransferStatus } from "../ledger/points.js";

export type PointsFailure =
  | "auth_failed"
  | "invalid_param"
  | "invalid_phone"
  | "invalid_count"
  | "member_not_found"
  | "insufficient_balance"
  | "rate_limited"
  | "duplicate_request"
  | "already_reversed"
  | "history_not_found";

export class PointsError extends Error {
  override name = "PointsError";
  constructor(
    readonly reason: PointsFailure,
    /** What was wrong, for invalid_param (the parameter's name). */
    readonly detail?: string,
  ) {
    super(detail ? `${reason}: ${detail}` : reason);
  }
}

export const FAILURES: Record<PointsFailure | "internal", { code: string; msg: string }> = {
  auth_failed: { code: "AUTH_FAILED", msg: "인증에 실패했습니다" },
  invalid_param: { code: "INVALID_PARAM", msg: "요청 값이 올바르지 않습니다" },
  invalid_phone: { code: "INVALID_PHONE", msg: "휴대폰 번호가 올바르지 않습니다" },
  invalid_count: { code: "INVALID_COUNT", msg: "적립/차감 수가 올바르지 않습니다" },
  member_not_found: { code: "MEMBER_NOT_FOUND", msg: "등록되지 않은 고객입니다" },
  insufficient_balance: { code: "INSUFFICIENT_BALANCE", msg: "보유 스탬프(포인트)가 부족합니다" },
  rate_limited: { code: "RATE_LIMITED", msg: "일일 호출 한도를 초과했습니다" },
  duplicate_request: { code: "DUPLICATE_REQUEST", msg: "이미 처리된 요청입니다" },
  already_reversed: { code: "ALREADY_REVERSED", msg: "이미 취소된 내역입니다" },
  history_not_found: { code: "HISTORY_NOT_FOUND", msg: "내역을 찾을 수 없습니다" },
  internal: { code: "INTERNAL", msg: "일시적인 오류입니다. 잠시 후 다시 시도해 주세요" },
};

/** The failure codes, for the wire schema (and so the OpenAPI document). */
export const FAILURE_CODES = Object.values(FAILURES).map((f) => f.code) as [string, ...string[]];

/** The failure table in Markdown, for the OpenAPI document. */
export const FAILURE_TABLE = ["| code | msg |", "|---|---|", ...Object.values(FAILURES).map((f) => `| \`${f.code}\` | ${f.msg} |`)].join(
  "\n",
);

/** Every status of the ledger's OPEN API functions (src/ledger/points.ts). */
export type PointsStatus = GateStatus | ReadStatus | ChangeStatus | TransferStatus | ReversalStatus;

/** What a status answers: the call's success, or the failure (and the parameter at fault). */
export type StatusAnswer = "success" | { reason: PointsFailure; detail?: string };

export const STATUS_ANSWERS: Record<PointsStatus, StatusAnswer> = {
  ok: "success",
  applied: "success",
  replayed: "success",
  auth_failed: { reason: "auth_failed" },
  rate_limited: { reason: "rate_limited" },
  key_reused: { reason: "duplicate_request" },
  count_above_unit_max: { reason: "invalid_count" },
  member_not_found: { reason: "member_not_found" },
  same_member: { reason: "invalid_param", detail: "to_number" },
  insufficient_balance: { reason: "insufficient_balance" },
  // The receiver's (or, undoing a use, the member's) balance would pass the largest one.
  above_maximum: { reason: "invalid_count" },
  history_not_found: { reason: "history_not_found" },
  already_reversed: { reason: "already_reversed" },
};

export interface Failure {
  result: false;
  code: string;
  msg: string;
}

export function failure(reason: PointsFailure | "internal", detail?: string): Failure {
  const f = FAILURES[reason];
  return { result: false, code: f.code, msg: detail ? `${f.msg} (${detail})` : f.msg };
}

/** The code a success is logged and counted with (its answer carries none). */
export const OK_CODE = "OK";

/** Every error on an OPEN API route, including Fastify's own (bad JSON, body too large). */
export const answerOpenError: AnswerError = (err: unknown, request: FastifyRequest) => {
  const answer =
    err instanceof PointsError
      ? { status: 200, body: failure(err.reason, err.detail), expected: true }
      : isClientError(err)
        ? { status: 200, body: failure("invalid_param", "body"), expected: true }
        : { status: 200, body: failure("internal"), expected: false };
  noteAnswer(request, "open", answer.body.code);
  return answer;
};
