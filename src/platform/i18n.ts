// The languages of stampd's pages (the stamp page, the console): Korean and English, chosen by
// the browser's Accept-Language (negotiator reads its weights and region variants such as ko-KR):
// Korean when the browser names no language, English when it names neither.
import Negotiator from "negotiator";
import type { IncomingHttpHeaders } from "node:http";

export const LANGUAGES = ["ko", "en"] as const;
export type Language = (typeof LANGUAGES)[number];

export const isLanguage = (value: unknown): value is Language => LANGUAGES.includes(value as Language);

export function pickLanguage(headers: IncomingHttpHeaders): Language {
  const [best] = new Negotiator({ headers }).languages([...LANGUAGES]);
  return (best as Language | undefined) ?? "en";
}
