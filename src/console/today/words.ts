// The start page's words.
import type { Language } from "../../platform/i18n.js";
import { formatNumber } from "../format.js";

export interface TodayWords {
  title: string;
  figuresLabel: (day: string) => string;
  saves: string;
  uses: string;
  newMembers: string;
  cardStamps: string;
  amount: (n: number) => string;
  chartHeading: string;
  chartLabel: (from: string, to: string) => string;
  series: [saves: string, uses: string];
  asTable: string;
  day: string;
}

export const TODAY_WORDS: Record<Language, TodayWords> = {
  ko: {
    title: "오늘",
    figuresLabel: (day) => `${day} 현황`,
    saves: "적립",
    uses: "사용",
    newMembers: "신규 고객",
    cardStamps: "카드 스탬프",
    amount: (n) => `합계 ${formatNumber("ko", n)}`,
    chartHeading: "최근 30일",
    chartLabel: (from, to) => `${from}부터 ${to}까지 하루별 적립과 사용 건수`,
    series: ["적립", "사용"],
    asTable: "표로 보기",
    day: "날짜",
  },
  en: {
    title: "Today",
    figuresLabel: (day) => `Figures of ${day}`,
    saves: "Saves",
    uses: "Uses",
    newMembers: "New customers",
    cardStamps: "Card stamps",
    amount: (n) => `total ${formatNumber("en", n)}`,
    chartHeading: "Last 30 days",
    chartLabel: (from, to) => `Saves and uses per day from ${from} to ${to}`,
    series: ["Saves", "Uses"],
    asTable: "Show as a table",
    day: "Day",
  },
};
