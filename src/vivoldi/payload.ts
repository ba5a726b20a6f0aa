// The stamp object of the stamp API, version v1: validate's result, and the `stamp` of every STAMP
// webhook event. It is built in SQL, once, so that the webhook event can be written by the very
// statement that makes the change (src/ledger/stamp-change.ts); the fields, names, order and
// formats are those of the original service's example (shared/seeds/001_f653824a241fc456.txt).
import { Prisma } from "../generated/prisma/client.js";

export interface StampPayloadV1 {
  stampIdx: number;
  domain: string;
  cardIdx: number;
  cardNm: string;
  cardTtl: string;
  stamps: number;
  maxStamps: number;
  stampUrl: string;
  url: string | null;
  strtYmd: string;
  endYmd: string;
  onsiteYn: "Y" | "N";
  onsitePwd: string | null;
  memo: string | null;
  activeYn: "Y" | "N";
  userId: string;
  userNm: string | null;
  userPhnno: string | null;
  userEml: string | null;
  userEtc1: string | null;
  userEtc2: string | null;
  stampImgUrl: string;
  regYmdt: string;
  payloadVersion: "v1";
}

/** Served by this server (the stamp page) for cards without an image of their own. */
export const DEFAULT_STAMP_IMAGE_PATH = "/static/stamp.svg";

/** The public page of a stamp is `<domain>/stamp/<page code>`. */
export const STAMP_PAGE_PATH = "/stamp/";

/** How stamps are shown: the server's own URL (the default domain) and the time zone of dates. */
export interface StampView {
  publicBaseUrl: string;
  timeZone: string;
}

/**
 * The payload as a `json` value (keys in the example's order), from a row `s` of stamp, a row `c`
 * of card and the stamp's count and maximum.
 */
export function stampPayloadSql(s: string, c: string, counts: { stamps: Prisma.Sql; maxStamps: Prisma.Sql }, view: StampView): Prisma.Sql {
  const S = (column: string) => Prisma.raw(`${s}.${column}`);
  const C = (column: string) => Prisma.raw(`${c}.${column}`);
  const domain = Prisma.sql`COALESCE(${S("domain")}, ${view.publicBaseUrl}::text)`;
  const yn = (condition: Prisma.Sql) => Prisma.sql`CASE WHEN ${condition} THEN 'Y' ELSE 'N' END`;
  return Prisma.sql`json_build_object(
      'stampIdx', ${S("id")},
      'domain', ${domain},
      'cardIdx', ${C("id")},
      'cardNm', ${C("name")},
      'cardTtl', ${C("title")},
      'stamps', ${counts.stamps},
      'maxStamps', ${counts.maxStamps},
      'stampUrl', ${domain} || ${STAMP_PAGE_PATH}::text || ${S("page_code")},
      'url', ${C("url")},
      'strtYmd', to_char(${S("valid_from")}, 'YYYY-MM-DD'),
      'endYmd', to_char(${S("valid_until")}, 'YYYY-MM-DD'),
      'onsiteYn', ${yn(Prisma.sql`${C("onsite_password")} IS NOT NULL`)},
      'onsitePwd', ${C("onsite_password")},
      'memo', ${S("memo")},
      'activeYn', ${yn(S("active"))},
      'userId', ${S("user_id")},
      'userNm', ${S("user_name")},
      'userPhnno', ${S("user_phone")},
      'userEml', ${S("user_email")},
      'userEtc1', ${S("user_etc1")},
      'userEtc2', ${S("user_etc2")},
      'stampImgUrl', COALESCE(${C("stamp_image_url")}, ${view.publicBaseUrl + DEFAULT_STAMP_IMAGE_PATH}::text),
      'regYmdt', to_char(${S("created_at")} AT TIME ZONE ${view.timeZone}::text, 'YYYY-MM-DD HH24:MI:SS'),
      'payloadVersion', 'v1')`;
}
