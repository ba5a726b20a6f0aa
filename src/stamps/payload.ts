// The stamp object of the stamp API (validate's result; webhooks send it too), version v1: the
// fields, names and formats of the original service's example, in its order.
import type { StampRecord } from "../ledger/stamp-change.js";

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

/** The public page of a stamp, on its domain. */
export const stampPagePath = (pageCode: string) => `/stamp/${pageCode}`;

const yn = (b: boolean) => (b ? "Y" : "N");

/** `publicBaseUrl`: the server's own URL, the domain of stamps without one of their own. */
export function stampPayload(r: StampRecord, publicBaseUrl: string): StampPayloadV1 {
  const domain = r.domain ?? publicBaseUrl;
  return {
    stampIdx: r.stampIdx,
    domain,
    cardIdx: r.cardIdx,
    cardNm: r.cardName,
    cardTtl: r.cardTitle,
    stamps: r.stamps,
    maxStamps: r.maxStamps,
    stampUrl: `${domain}${stampPagePath(r.pageCode)}`,
    url: r.url,
    strtYmd: r.validFrom,
    endYmd: r.validUntil,
    onsiteYn: yn(r.onsitePassword !== null),
    onsitePwd: r.onsitePassword,
    memo: r.memo,
    activeYn: yn(r.active),
    userId: r.userId,
    userNm: r.userName,
    userPhnno: r.userPhone,
    userEml: r.userEmail,
    userEtc1: r.userEtc1,
    userEtc2: r.userEtc2,
    stampImgUrl: r.stampImageUrl ?? `${publicBaseUrl}${DEFAULT_STAMP_IMAGE_PATH}`,
    regYmdt: r.registeredAt,
    payloadVersion: "v1",
  };
}
