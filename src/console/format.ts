// Dates and numbers as the console shows them: in the store's time zone and the page's language.
import type { Language } from "../platform/i18n.js";

const LOCALES: Record<Language, string> = { ko: "ko-KR", en: "en-GB" };

export const formatDateTime = (lang: Language, timeZone: string, at: Date) =>
  new Intl.DateTimeFormat(LOCALES[lang], { timeZone, dateStyle: "medium", timeStyle: "short" }).format(at);

export const formatNumber = (lang: Language, n: number) => new Intl.NumberFormat(LOCALES[lang]).format(n);

/** The calendar day (YYYY-MM-DD) of `at` in `timeZone`. */
export const dayIn = (timeZone: string, at: Date) => new Intl.DateTimeFormat("en-CA", { timeZone }).format(at);
