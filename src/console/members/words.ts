// The customers' pages' words, and the words of a refused change that the counter shares.
import type { EntryKind, StoreUnit } from "../../generated/prisma/enums.js";
import type { Language } from "../../platform/i18n.js";
import { formatNumber } from "../format.js";
import type { PointsFailure } from "../../stampang/answers.js";

/** Why a change was refused, as staff read it; every one ends saying that nothing changed. */
export interface RefusalWords {
  refusals: Record<Exclude<PointsFailure, "insufficient_balance">, string>;
  /** A use or transfer beyond the balance, which the message names. */
  insufficient: (balance: number, unit: StoreUnit) => string;
  /** A cancel of a save whose stamps were spent since. */
  spent: string;
  /** A transfer to the giver. */
  sameMember: string;
  badCount: string;
  badPhone: string;
  badForm: string;
}

export interface MemberWords extends RefusalWords {
  title: string;
  unit: Record<StoreUnit, string>;
  amount: (n: number, unit: StoreUnit) => string;
  searchLabel: string;
  searchHelp: string;
  searchSubmit: string;
  badQuery: string;
  noMatch: string;
  memberNo: string;
  phone: string;
  balance: string;
  lastVisit: string;
  never: string;
  notFoundTitle: string;
  notFoundText: string;
  memberTitle: (memberNo: number) => string;
  joined: (date: string) => string;
  /** What lapses next: `n` of the unit after `date`, its last valid day. */
  nextExpiry: (n: number, unit: StoreUnit, date: string) => string;
  changesLabel: string;
  saveCount: (unit: StoreUnit) => string;
  useCount: (unit: StoreUnit) => string;
  transferHeading: string;
  count: string;
  saveSubmit: string;
  useSubmit: string;
  transferTo: string;
  transferToHelp: string;
  transferSubmit: string;
  historyHeading: string;
  noHistory: string;
  kinds: Partial<Record<EntryKind, string>>;
  balanceAfter: (balance: number) => string;
  byApi: string;
  /** A row of the operator's import. */
  byOperator: string;
  /** A row of an expiry, which nobody made. */
  byExpiry: string;
  cancelled: string;
  cancel: string;
  cancelLabel: (what: string, date: string) => string;
  newer: string;
  older: string;
  pageOf: (page: number) => string;
  saved: (n: number, unit: StoreUnit, balance: number) => string;
  used: (n: number, unit: StoreUnit, balance: number) => string;
  transferred: (n: number, unit: StoreUnit, to: number, balance: number) => string;
  reversed: (balance: number, unit: StoreUnit) => string;
  backToSearch: string;
}

export const MEMBER_WORDS: Record<Language, MemberWords> = {
  ko: {
    title: "고객",
    unit: { stamp: "스탬프", point: "포인트" },
    amount: (n, unit) => (unit === "stamp" ? `스탬프 ${formatNumber("ko", n)}개` : `${formatNumber("ko", n)} 포인트`),
    searchLabel: "고객 찾기",
    searchHelp: "휴대폰 번호, 뒷자리 4개, 또는 고객번호",
    searchSubmit: "찾기",
    badQuery: "휴대폰 번호, 뒷자리 4개, 또는 고객번호를 입력해 주세요.",
    noMatch: "찾는 고객이 없습니다.",
    memberNo: "고객번호",
    phone: "휴대폰",
    balance: "보유",
    lastVisit: "최근 방문",
    never: "없음",
    notFoundTitle: "고객을 찾을 수 없습니다",
    notFoundText: "이 매장에 등록되지 않은 고객입니다.",
    memberTitle: (no) => `고객 ${no}`,
    joined: (date) => `${date} 가입`,
    // 스탬프 N개, N 포인트: both end in a vowel, so 가.
    nextExpiry: (n, unit, date) => `${MEMBER_WORDS.ko.amount(n, unit)}가 ${date}에 소멸됩니다`,
    changesLabel: "적립과 사용",
    saveCount: (unit) => `적립할 ${MEMBER_WORDS.ko.unit[unit]}`,
    useCount: (unit) => `사용할 ${MEMBER_WORDS.ko.unit[unit]}`,
    transferHeading: "다른 고객에게 양도",
    count: "수량",
    saveSubmit: "적립하기",
    useSubmit: "사용하기",
    transferTo: "받는 고객",
    transferToHelp: "휴대폰 번호 또는 고객번호 (처음 보는 번호는 새로 등록합니다)",
    transferSubmit: "양도하기",
    historyHeading: "내역",
    noHistory: "아직 내역이 없습니다.",
    kinds: { save: "적립", use: "차감", transfer: "양도", reversal: "취소", import: "이관", expire: "소멸" },
    balanceAfter: (balance) => `잔액 ${formatNumber("ko", balance)}`,
    byApi: "API",
    byOperator: "운영자 이관",
    byExpiry: "유효기간 만료",
    cancelled: "취소됨",
    cancel: "취소",
    cancelLabel: (what, date) => `${date} ${what} 취소`,
    newer: "최근 내역",
    older: "이전 내역",
    pageOf: (page) => `${page}쪽`,
    saved: (n, unit, balance) => `${MEMBER_WORDS.ko.amount(n, unit)} 적립했습니다. 잔액 ${formatNumber("ko", balance)}.`,
    used: (n, unit, balance) => `${MEMBER_WORDS.ko.amount(n, unit)} 사용했습니다. 잔액 ${formatNumber("ko", balance)}.`,
    transferred: (n, unit, to, balance) =>
      `고객 ${to}에게 ${MEMBER_WORDS.ko.amount(n, unit)} 양도했습니다. 잔액 ${formatNumber("ko", balance)}.`,
    reversed: (balance) => `내역을 취소했습니다. 잔액 ${formatNumber("ko", balance)}.`,
    backToSearch: "고객 찾기로",
    refusals: {
      auth_failed: "매장이 사용 중지되어 처리하지 않았습니다.",
      invalid_param: "요청 값이 올바르지 않아 처리하지 않았습니다.",
      invalid_phone: "휴대폰 번호가 올바르지 않습니다. 아무것도 바뀌지 않았습니다.",
      invalid_count: "수량이 허용 범위를 넘었습니다. 아무것도 바뀌지 않았습니다.",
      member_not_found: "이 매장에 등록되지 않은 고객입니다. 아무것도 바뀌지 않았습니다.",
      rate_limited: "오늘의 호출 한도를 넘어 처리하지 않았습니다.",
      duplicate_request: "이 양식은 이미 다른 요청에 쓰였습니다. 페이지를 새로 열고 다시 시도해 주세요.",
      already_reversed: "이미 취소된 내역입니다.",
      history_not_found: "취소할 수 없는 내역입니다. 아무것도 바뀌지 않았습니다.",
    },
    insufficient: (balance, unit) =>
      `보유 ${MEMBER_WORDS.ko.unit[unit]}가 부족합니다: 잔액 ${formatNumber("ko", balance)}. 아무것도 바뀌지 않았습니다.`,
    spent: "이 적립분은 이미 사용되어 취소할 수 없습니다. 아무것도 바뀌지 않았습니다.",
    sameMember: "같은 고객에게는 양도할 수 없습니다. 아무것도 바뀌지 않았습니다.",
    badCount: "수량은 1 이상의 정수로 입력해 주세요. 아무것도 바뀌지 않았습니다.",
    badPhone: "휴대폰 번호 또는 고객번호를 입력해 주세요. 아무것도 바뀌지 않았습니다.",
    badForm: "양식이 올바르지 않아 처리하지 않았습니다. 페이지를 새로 열고 다시 시도해 주세요.",
  },
  en: {
    title: "Customers",
    unit: { stamp: "stamps", point: "points" },
    amount: (n, unit) => `${formatNumber("en", n)} ${unit === "stamp" ? (n === 1 ? "stamp" : "stamps") : n === 1 ? "point" : "points"}`,
    searchLabel: "Find a customer",
    searchHelp: "Phone number, its last 4 digits, or member number",
    searchSubmit: "Find",
    badQuery: "Type a phone number, its last 4 digits, or a member number.",
    noMatch: "No customer found.",
    memberNo: "No.",
    phone: "Phone",
    balance: "Balance",
    lastVisit: "Last visit",
    never: "none",
    notFoundTitle: "Customer not found",
    notFoundText: "This store has no such customer.",
    memberTitle: (no) => `Customer ${no}`,
    joined: (date) => `since ${date}`,
    nextExpiry: (n, unit, date) => `${MEMBER_WORDS.en.amount(n, unit)} ${n === 1 ? "expires" : "expire"} on ${date}`,
    changesLabel: "Save and use",
    saveCount: (unit) => (unit === "stamp" ? "Stamps to save" : "Points to save"),
    useCount: (unit) => (unit === "stamp" ? "Stamps to use" : "Points to use"),
    transferHeading: "Transfer to another customer",
    count: "Count",
    saveSubmit: "Save",
    useSubmit: "Use",
    transferTo: "To customer",
    transferToHelp: "Phone number or member number (a new phone is registered)",
    transferSubmit: "Transfer",
    historyHeading: "History",
    noHistory: "No history yet.",
    kinds: { save: "Saved", use: "Used", transfer: "Transfer", reversal: "Cancel", import: "Imported", expire: "Expired" },
    balanceAfter: (balance) => `balance ${formatNumber("en", balance)}`,
    byApi: "API",
    byOperator: "operator's import",
    byExpiry: "validity ended",
    cancelled: "cancelled",
    cancel: "Cancel",
    cancelLabel: (what, date) => `Cancel ${what} of ${date}`,
    newer: "Newer",
    older: "Older",
    pageOf: (page) => `page ${page}`,
    saved: (n, unit, balance) => `Saved ${MEMBER_WORDS.en.amount(n, unit)}. Balance ${formatNumber("en", balance)}.`,
    used: (n, unit, balance) => `Used ${MEMBER_WORDS.en.amount(n, unit)}. Balance ${formatNumber("en", balance)}.`,
    transferred: (n, unit, to, balance) =>
      `Gave ${MEMBER_WORDS.en.amount(n, unit)} to customer ${to}. Balance ${formatNumber("en", balance)}.`,
    reversed: (balance) => `The row is cancelled. Balance ${formatNumber("en", balance)}.`,
    backToSearch: "Find a customer",
    refusals: {
      auth_failed: "This store is not active: nothing was changed.",
      invalid_param: "Something in the form was not right: nothing was changed.",
      invalid_phone: "That is not a mobile phone number: nothing was changed.",
      invalid_count: "That count is more than allowed: nothing was changed.",
      member_not_found: "This store has no such customer: nothing was changed.",
      rate_limited: "The store's daily limit of calls is reached: nothing was changed.",
      duplicate_request: "This form was used already for another change. Open the page again and retry.",
      already_reversed: "This row was cancelled already.",
      history_not_found: "This row cannot be cancelled: nothing was changed.",
    },
    insufficient: (balance, unit) =>
      `Not enough ${MEMBER_WORDS.en.unit[unit]}: the balance is ${formatNumber("en", balance)}. Nothing was changed.`,
    spent: "The stamps of this save were used since: it cannot be cancelled. Nothing was changed.",
    sameMember: "A customer cannot give to themselves: nothing was changed.",
    badCount: "Type a count: a whole number of 1 or more. Nothing was changed.",
    badPhone: "Type a mobile phone number or a member number. Nothing was changed.",
    badForm: "The form was not complete: nothing was changed. Open the page again and retry.",
  },
};
