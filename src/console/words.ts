// The words every console page shares: the title, the navigation, the language switch, logging
// out, and the pages that answer a refusal or an error. Each area has its own words.ts.
import type { Language } from "../platform/i18n.js";

export interface LayoutWords {
  console: string;
  nav: { today: string; counter: string; members: string; cards: string; data: string; settings: string };
  navLabel: string;
  logout: string;
  /** The other language's name, in itself: the switch's label. */
  otherLanguage: string;
  notFoundTitle: string;
  notFoundText: string;
  loginNeededTitle: string;
  loginNeededText: string;
  toLogin: string;
  forbiddenTitle: string;
  forbiddenText: string;
  formExpiredTitle: string;
  formExpiredText: string;
  errorTitle: string;
  errorText: string;
  badRequestText: string;
  home: string;
}

export const LAYOUT_WORDS: Record<Language, LayoutWords> = {
  ko: {
    console: "매장 관리",
    nav: { today: "오늘", counter: "적립", members: "고객", cards: "스탬프 카드", data: "가져오기·내보내기", settings: "설정" },
    navLabel: "메뉴",
    logout: "로그아웃",
    otherLanguage: "English",
    notFoundTitle: "페이지를 찾을 수 없습니다",
    notFoundText: "주소를 확인해 주세요.",
    loginNeededTitle: "로그인이 필요합니다",
    loginNeededText: "로그인 시간이 지났거나 로그아웃되었습니다. 다시 로그인한 뒤 시도해 주세요. 요청은 처리되지 않았습니다.",
    toLogin: "로그인",
    forbiddenTitle: "권한이 없습니다",
    forbiddenText: "이 기능은 매장 대표(owner)만 쓸 수 있습니다. 아무것도 바뀌지 않았습니다.",
    formExpiredTitle: "다시 시도해 주세요",
    formExpiredText: "페이지가 만료되어 요청을 처리하지 않았습니다. 페이지를 다시 열고 시도해 주세요.",
    errorTitle: "일시적인 오류",
    errorText: "잠시 후 다시 시도해 주세요.",
    badRequestText: "요청을 처리할 수 없습니다. 아무것도 바뀌지 않았습니다.",
    home: "처음으로",
  },
  en: {
    console: "Store console",
    nav: { today: "Today", counter: "Counter", members: "Customers", cards: "Stamp cards", data: "Import / export", settings: "Settings" },
    navLabel: "Menu",
    logout: "Log out",
    otherLanguage: "한국어",
    notFoundTitle: "Page not found",
    notFoundText: "Please check the address.",
    loginNeededTitle: "Please log in",
    loginNeededText: "Your session ended or you logged out. Log in again, then try again. Nothing was done.",
    toLogin: "Log in",
    forbiddenTitle: "Not allowed",
    forbiddenText: "Only the store's owner can do this. Nothing was changed.",
    formExpiredTitle: "Please try again",
    formExpiredText: "This page had expired, so nothing was done. Open the page again and retry.",
    errorTitle: "Something went wrong",
    errorText: "Please try again in a moment.",
    badRequestText: "This request could not be handled. Nothing was changed.",
    home: "Home",
  },
};
