// The stamp page's words in Korean and English (the language: src/platform/i18n.ts).
import type { Language } from "../../platform/i18n.js";

export interface Words {
  notFoundTitle: string;
  notFoundText: string;
  formExpiredTitle: string;
  formExpired: string;
  backToCard: string;
  errorTitle: string;
  errorText: string;
  setPinTitle: string;
  setPinHelp: string;
  enterPinTitle: string;
  enterPinHelp: string;
  pinLabel: string;
  pinConfirmLabel: string;
  setPinButton: string;
  enterPinButton: string;
  pinFormat: string;
  pinMismatch: string;
  wrongPin: (triesLeft: number) => string;
  locked: (minutes: number) => string;
  stampsHeading: string;
  validity: string;
  notStarted: (from: string) => string;
  expired: (until: string) => string;
  inactive: string;
  used: string;
  full: string;
  linkButton: string;
  staffHeading: string;
  onsiteLabel: string;
  onsiteButton: string;
  stampAdded: string;
  wrongOnsite: (triesLeft: number) => string;
}

export const WORDS: Record<Language, Words> = {
  ko: {
    notFoundTitle: "스탬프 카드를 찾을 수 없습니다",
    notFoundText: "주소가 맞는지 확인해 주세요. 카드가 삭제되었을 수도 있습니다.",
    formExpiredTitle: "다시 시도해 주세요",
    formExpired: "페이지가 만료되어 요청을 처리하지 않았습니다. 카드로 돌아가 다시 시도해 주세요.",
    backToCard: "카드로 돌아가기",
    errorTitle: "일시적인 오류",
    errorText: "잠시 후 다시 시도해 주세요.",
    setPinTitle: "비밀번호 설정",
    setPinHelp: "이 카드를 열 때 쓸 숫자 4~6자리 비밀번호를 정해 주세요.",
    enterPinTitle: "비밀번호 입력",
    enterPinHelp: "카드를 보려면 비밀번호를 입력하세요.",
    pinLabel: "비밀번호 (숫자 4~6자리)",
    pinConfirmLabel: "비밀번호 확인",
    setPinButton: "설정하기",
    enterPinButton: "카드 열기",
    pinFormat: "비밀번호는 숫자 4~6자리입니다.",
    pinMismatch: "두 비밀번호가 서로 다릅니다.",
    wrongPin: (n) => `비밀번호가 틀렸습니다. ${n}번 더 시도할 수 있습니다.`,
    locked: (m) => `잘못 입력한 횟수가 너무 많습니다. ${m}분 후에 다시 시도해 주세요.`,
    stampsHeading: "모은 스탬프",
    validity: "사용 기간",
    notStarted: (from) => `${from}부터 사용할 수 있습니다.`,
    expired: (until) => `사용 기간이 ${until}에 끝났습니다.`,
    inactive: "사용이 중지된 카드입니다.",
    used: "이미 혜택을 사용한 카드입니다.",
    full: "스탬프를 모두 모았습니다! 이 화면을 보여 주고 혜택을 받으세요.",
    linkButton: "바로가기",
    staffHeading: "직원용",
    onsiteLabel: "현장 적립 비밀번호",
    onsiteButton: "스탬프 적립",
    stampAdded: "스탬프가 적립되었습니다.",
    wrongOnsite: (n) => `현장 적립 비밀번호가 틀렸습니다. ${n}번 더 시도할 수 있습니다.`,
  },
  en: {
    notFoundTitle: "Stamp card not found",
    notFoundText: "Please check the address. The card may have been deleted.",
    formExpiredTitle: "Please try again",
    formExpired: "This page had expired, so nothing was done. Please go back to the card and try again.",
    backToCard: "Back to the card",
    errorTitle: "Something went wrong",
    errorText: "Please try again in a moment.",
    setPinTitle: "Set your PIN",
    setPinHelp: "Choose a 4 to 6 digit PIN. You will need it to open this card.",
    enterPinTitle: "Enter your PIN",
    enterPinHelp: "Enter your PIN to see your card.",
    pinLabel: "PIN (4 to 6 digits)",
    pinConfirmLabel: "PIN again",
    setPinButton: "Set PIN",
    enterPinButton: "Open card",
    pinFormat: "A PIN is 4 to 6 digits.",
    pinMismatch: "The two PINs are not the same.",
    wrongPin: (n) => `Wrong PIN. ${n} ${n === 1 ? "try" : "tries"} left.`,
    locked: (m) => `Too many wrong tries. Please try again in ${m} ${m === 1 ? "minute" : "minutes"}.`,
    stampsHeading: "Stamps collected",
    validity: "Valid",
    notStarted: (from) => `This card can be used from ${from}.`,
    expired: (until) => `This card expired on ${until}.`,
    inactive: "This card is not active.",
    used: "The benefit of this card has been used.",
    full: "Card complete! Show this screen to get your benefit.",
    linkButton: "Visit the shop",
    staffHeading: "For staff",
    onsiteLabel: "On-site password",
    onsiteButton: "Add a stamp",
    stampAdded: "A stamp was added.",
    wrongOnsite: (n) => `Wrong on-site password. ${n} ${n === 1 ? "try" : "tries"} left.`,
  },
};
