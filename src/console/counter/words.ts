// The counter's words (what it says of a save and of a refusal is the customers' pages' own).
import type { Language } from "../../platform/i18n.js";

export interface CounterWords {
  title: string;
  phone: string;
  phoneHelp: string;
  pad: string;
  back: string;
  clear: string;
  count: string;
  fewer: string;
  more: string;
  save: string;
  balance: string;
  openMember: string;
}

export const COUNTER_WORDS: Record<Language, CounterWords> = {
  ko: {
    title: "적립",
    phone: "고객 휴대폰 번호",
    phoneHelp: "처음 오신 고객은 적립과 함께 등록됩니다.",
    pad: "숫자 패드",
    back: "한 자리 지우기",
    clear: "모두 지우기",
    count: "수량",
    fewer: "하나 줄이기",
    more: "하나 늘리기",
    save: "적립하기",
    balance: "잔액",
    openMember: "고객 내역 보기",
  },
  en: {
    title: "Counter",
    phone: "Customer's phone number",
    phoneHelp: "A customer new to the store is registered with the save.",
    pad: "Number pad",
    back: "Delete one digit",
    clear: "Clear",
    count: "Count",
    fewer: "One fewer",
    more: "One more",
    save: "Save",
    balance: "Balance",
    openMember: "Customer's history",
  },
};
