// The stamp cards' words: card templates, issuing a card to a customer, and its stamps.
import type { Language } from "../../platform/i18n.js";

/** The fields of a card's form, in the form's order. */
export const CARD_FORM_FIELDS = ["name", "title", "maxStamps", "url", "image", "onsitePwd"] as const;
export type CardFormField = (typeof CARD_FORM_FIELDS)[number];

/** Why a stamp cannot be changed now, as the ledger says it. */
export type StampRefusal =
  | "stamp_not_found"
  | "inactive"
  | "not_started"
  | "expired"
  | "already_used"
  | "card_full"
  | "not_enough_stamps"
  | "card_not_found"
  | "invalid_period";

/** A stamp's state as its row shows it. */
export type StampState = "collecting" | "full" | "used" | "inactive" | "expired" | "not_started";

export interface CardWords {
  title: string;
  noCards: string;
  newCard: string;
  create: string;
  cardFields: Record<CardFormField, { label: string; help?: string }>;
  /** What a wrong value of each field should be. */
  cardRules: Record<CardFormField, string>;
  maxStampsShort: (max: number) => string;
  onsite: string;
  inactiveCard: string;
  inactiveCardText: string;
  edit: string;
  save: string;
  deactivate: string;
  activate: string;
  cardCreated: (name: string) => string;
  cardSaved: string;
  cardDeactivated: string;
  cardActivated: string;
  cardNotFound: string;
  aboveNewMaximum: (stamps: number) => string;
  checkFields: string;
  issueHeading: string;
  phone: string;
  phoneHelp: string;
  customerName: string;
  validFor: string;
  months: (n: number) => string;
  issue: string;
  notAPhone: string;
  issued: (phone: string) => string;
  alreadyOpen: (phone: string, stampIdx: number) => string;
  stampsHeading: string;
  search: string;
  searchHelp: string;
  searchSubmit: string;
  showAll: string;
  newestShown: (n: number) => string;
  noStamps: string;
  stampNo: (stampIdx: number) => string;
  count: (stamps: number, max: number) => string;
  validUntil: (date: string) => string;
  states: Record<StampState, string>;
  qrLabel: (phone: string) => string;
  addStamp: string;
  redeem: string;
  deactivateStamp: string;
  activateStamp: string;
  added: (stamps: number, max: number) => string;
  addedFull: (max: number) => string;
  changed: (stamps: number, max: number) => string;
  redeemed: string;
  stampDeactivated: string;
  stampActivated: string;
  refusals: Record<StampRefusal, string>;
}

export const CARD_WORDS: Record<Language, CardWords> = {
  ko: {
    title: "스탬프 카드",
    noCards: "아직 카드가 없습니다.",
    newCard: "새 카드 만들기",
    create: "카드 만들기",
    cardFields: {
      name: { label: "카드 이름" },
      title: { label: "카드 제목", help: "고객 화면에 보이는 혜택 설명 (예: 10개 모으면 아메리카노 1잔)" },
      maxStamps: { label: "채울 스탬프 수" },
      url: { label: "버튼 링크 (선택)", help: "https://로 시작하는 주소" },
      image: { label: "스탬프 이미지 주소 (선택)", help: "비워 두면 기본 이미지" },
      onsitePwd: {
        label: "현장 적립 비밀번호 (선택)",
        help: "고객 휴대폰의 카드 화면에서 직원이 입력해 적립합니다. 비워 두면 쓰지 않습니다.",
      },
    },
    cardRules: {
      name: "카드 이름은 1~100자로 적어 주세요.",
      title: "카드 제목은 1~200자로 적어 주세요.",
      maxStamps: "채울 스탬프 수는 1에서 1000 사이의 정수입니다.",
      url: "버튼 링크는 http:// 또는 https://로 시작하는 주소여야 합니다.",
      image: "이미지 주소는 http:// 또는 https://로 시작하는 주소여야 합니다.",
      onsitePwd: "현장 적립 비밀번호는 100자까지입니다.",
    },
    maxStampsShort: (max) => `스탬프 ${max}개`,
    onsite: "현장 적립",
    inactiveCard: "사용 중지",
    inactiveCardText: "사용 중지된 카드입니다. 새로 발급할 수 없고, 이미 발급한 카드는 유효기간까지 그대로 쓸 수 있습니다.",
    edit: "카드 수정",
    save: "저장",
    deactivate: "카드 사용 중지",
    activate: "카드 다시 사용",
    cardCreated: (name) => `카드 '${name}'을(를) 만들었습니다.`,
    cardSaved: "카드를 저장했습니다. 이미 발급한 카드에도 적용됩니다.",
    cardDeactivated: "카드 사용을 중지했습니다. 이미 발급한 카드는 그대로 쓸 수 있습니다.",
    cardActivated: "카드를 다시 쓸 수 있습니다.",
    cardNotFound: "그런 카드가 없습니다.",
    aboveNewMaximum: (n) => `발급한 카드 ${n}장이 이미 그보다 많은 스탬프를 모았습니다. 아무것도 바뀌지 않았습니다.`,
    checkFields: "입력한 내용을 확인해 주세요. 아무것도 바뀌지 않았습니다.",
    issueHeading: "고객에게 발급",
    phone: "고객 휴대폰 번호",
    phoneHelp: "예: 010-1234-5678",
    customerName: "고객 이름 (선택)",
    validFor: "유효기간",
    months: (n) => (n % 12 === 0 ? `${n / 12}년` : `${n}개월`),
    issue: "발급",
    notAPhone: "휴대폰 번호를 확인해 주세요. 발급하지 않았습니다.",
    issued: (phone) => `${phone} 고객에게 카드를 발급했습니다. 고객이 QR 코드를 찍으면 카드가 열립니다.`,
    alreadyOpen: (phone, idx) => `${phone} 고객은 이 카드를 이미 쓰고 있습니다 (${idx}번). 새로 발급하지 않았습니다.`,
    stampsHeading: "발급한 카드",
    search: "휴대폰 번호로 찾기",
    searchHelp: "번호 전체 또는 끝 4자리",
    searchSubmit: "찾기",
    showAll: "모두 보기",
    newestShown: (n) => `최근 발급한 ${n}장까지 보입니다. 다른 카드는 번호로 찾아 주세요.`,
    noStamps: "발급한 카드가 없습니다.",
    stampNo: (idx) => `${idx}번`,
    count: (stamps, max) => `${max}개 중 ${stamps}개`,
    validUntil: (date) => `${date}까지`,
    states: {
      collecting: "모으는 중",
      full: "다 모음 · 혜택 사용 가능",
      used: "혜택 사용함",
      inactive: "사용 중지",
      expired: "기간 지남",
      not_started: "아직 시작 전",
    },
    qrLabel: (phone) => `${phone} 고객 카드의 QR 코드`,
    addStamp: "스탬프 +1",
    redeem: "혜택 사용",
    deactivateStamp: "사용 중지",
    activateStamp: "다시 사용",
    added: (stamps, max) => `스탬프를 찍었습니다: ${max}개 중 ${stamps}개.`,
    addedFull: (max) => `스탬프를 찍었습니다: ${max}개를 다 모았습니다. 혜택을 쓸 수 있습니다.`,
    changed: (stamps, max) =>
      `그 사이 카드가 바뀌었습니다 (지금 ${max}개 중 ${stamps}개). 찍지 않았습니다. 한 개 더 찍으려면 다시 누르세요.`,
    redeemed: "혜택을 사용 처리했습니다.",
    stampDeactivated: "고객 카드 사용을 중지했습니다.",
    stampActivated: "고객 카드를 다시 쓸 수 있습니다.",
    refusals: {
      stamp_not_found: "그런 고객 카드가 없습니다.",
      inactive: "사용 중지된 카드입니다. 아무것도 바뀌지 않았습니다.",
      not_started: "아직 유효기간이 시작되지 않았습니다. 아무것도 바뀌지 않았습니다.",
      expired: "유효기간이 지난 카드입니다. 아무것도 바뀌지 않았습니다.",
      already_used: "이미 혜택을 사용한 카드입니다. 아무것도 바뀌지 않았습니다.",
      card_full: "스탬프를 다 모은 카드입니다. 더 찍지 않았습니다.",
      not_enough_stamps: "아직 스탬프를 다 모으지 않았습니다. 혜택을 쓸 수 없습니다.",
      card_not_found: "이 카드는 사용 중지되어 발급할 수 없습니다.",
      invalid_period: "유효기간이 맞지 않습니다. 발급하지 않았습니다.",
    },
  },
  en: {
    title: "Stamp cards",
    noCards: "No cards yet.",
    newCard: "New card",
    create: "Create card",
    cardFields: {
      name: { label: "Card name" },
      title: { label: "Card title", help: "The benefit, as the customer sees it (e.g. Collect 10, get one free Americano)" },
      maxStamps: { label: "Stamps to collect" },
      url: { label: "Button link (optional)", help: "An address starting with https://" },
      image: { label: "Stamp image address (optional)", help: "Empty: the default image" },
      onsitePwd: {
        label: "On-site password (optional)",
        help: "Staff type it on the customer's card page to add a stamp there. Empty: not used.",
      },
    },
    cardRules: {
      name: "Give the card a name of 1 to 100 characters.",
      title: "Give the card a title of 1 to 200 characters.",
      maxStamps: "Stamps to collect is a whole number from 1 to 1000.",
      url: "The button link must be an address starting with http:// or https://.",
      image: "The image address must start with http:// or https://.",
      onsitePwd: "The on-site password is at most 100 characters.",
    },
    maxStampsShort: (max) => `${max} stamps`,
    onsite: "On-site stamping",
    inactiveCard: "Deactivated",
    inactiveCardText: "This card is deactivated: it cannot be issued, and the cards issued before work on until they end.",
    edit: "Edit card",
    save: "Save",
    deactivate: "Deactivate card",
    activate: "Activate card again",
    cardCreated: (name) => `Card '${name}' created.`,
    cardSaved: "Card saved. It applies to the cards already issued too.",
    cardDeactivated: "Card deactivated. The cards issued before work on.",
    cardActivated: "The card can be issued again.",
    cardNotFound: "No such card.",
    aboveNewMaximum: (n) => `${n} issued card(s) already hold more stamps than that. Nothing was changed.`,
    checkFields: "Please check what you entered. Nothing was changed.",
    issueHeading: "Issue to a customer",
    phone: "Customer's mobile number",
    phoneHelp: "e.g. 010-1234-5678",
    customerName: "Customer's name (optional)",
    validFor: "Valid for",
    months: (n) => (n % 12 === 0 ? `${n / 12} year${n > 12 ? "s" : ""}` : `${n} month${n > 1 ? "s" : ""}`),
    issue: "Issue",
    notAPhone: "Please check the mobile number. Nothing was issued.",
    issued: (phone) => `Card issued to ${phone}. The customer scans the QR code to open it.`,
    alreadyOpen: (phone, idx) => `${phone} already holds an open card of this kind (No. ${idx}). Nothing new was issued.`,
    stampsHeading: "Issued cards",
    search: "Find by mobile number",
    searchHelp: "The whole number or its last 4 digits",
    searchSubmit: "Find",
    showAll: "Show all",
    newestShown: (n) => `The ${n} most recently issued are shown. Find others by number.`,
    noStamps: "No cards issued.",
    stampNo: (idx) => `No. ${idx}`,
    count: (stamps, max) => `${stamps} of ${max}`,
    validUntil: (date) => `until ${date}`,
    states: {
      collecting: "Collecting",
      full: "Full · benefit ready",
      used: "Benefit used",
      inactive: "Deactivated",
      expired: "Expired",
      not_started: "Not started yet",
    },
    qrLabel: (phone) => `QR code of ${phone}'s card`,
    addStamp: "Stamp +1",
    redeem: "Use benefit",
    deactivateStamp: "Deactivate",
    activateStamp: "Activate again",
    added: (stamps, max) => `Stamp added: ${stamps} of ${max}.`,
    addedFull: (max) => `Stamp added: all ${max} collected. The benefit can be used.`,
    changed: (stamps, max) => `The card changed meanwhile (now ${stamps} of ${max}). Nothing was added; tap again to add one more.`,
    redeemed: "Benefit used.",
    stampDeactivated: "Customer's card deactivated.",
    stampActivated: "Customer's card active again.",
    refusals: {
      stamp_not_found: "No such customer card.",
      inactive: "This card is deactivated. Nothing was changed.",
      not_started: "This card's validity has not started yet. Nothing was changed.",
      expired: "This card has expired. Nothing was changed.",
      already_used: "This card's benefit was used already. Nothing was changed.",
      card_full: "This card is full. No stamp was added.",
      not_enough_stamps: "Not all stamps are collected yet: the benefit cannot be used.",
      card_not_found: "This card is deactivated and cannot be issued.",
      invalid_period: "The validity does not fit. Nothing was issued.",
    },
  },
};
