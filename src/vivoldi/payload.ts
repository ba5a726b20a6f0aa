// The stamp object of the stamp API, version v1: validate's result, and the `stamp` of every STAMP
// webhook event. It is built in SQL, once (the function stamp_payload), so that the webhook event
// is written by the very function that makes the change; the fields, names, order and formats are
// those of the original service's example (shared/seeds/001_f653824a241fc456.txt). Here: its type,
// and its schema, which parses validate's row and documents the API.
import { z } from "zod";

export const stampPayloadSchema = z.object({
  stampIdx: z.number(),
  domain: z.string(),
  cardIdx: z.number(),
  cardNm: z.string(),
  cardTtl: z.string(),
  stamps: z.number(),
  maxStamps: z.number(),
  stampUrl: z.string(),
  url: z.string().nullable(),
  strtYmd: z.string().describe("YYYY-MM-DD"),
  endYmd: z.string().describe("YYYY-MM-DD"),
  onsiteYn: z.enum(["Y", "N"]),
  onsitePwd: z.string().nullable(),
  memo: z.string().nullable(),
  activeYn: z.enum(["Y", "N"]),
  userId: z.string(),
  userNm: z.string().nullable(),
  userPhnno: z.string().nullable(),
  userEml: z.string().nullable(),
  userEtc1: z.string().nullable(),
  userEtc2: z.string().nullable(),
  stampImgUrl: z.string(),
  regYmdt: z.string().describe("YYYY-MM-DD HH:mm:ss in the server's time zone"),
  payloadVersion: z.literal("v1"),
});

export type StampPayloadV1 = z.infer<typeof stampPayloadSchema>;

/** Served by this server (the stamp page) for cards without an image of their own; stamp_payload names it too. */
export const DEFAULT_STAMP_IMAGE_PATH = "/static/stamp.svg";

/** The public page of a stamp is `<domain>/stamp/<page code>` (as stamp_payload builds `stampUrl`). */
export const STAMP_PAGE_PATH = "/stamp/";
