// The stamp API's parameters, one zod schema per endpoint: they validate each request (in the
// handler, after the API key) and document it. On the wire a number may be a JSON number or
// decimal digits (query strings, forms). Each schema turns the wire names into the service's.
import { z } from "zod";
import { StampError } from "./service.js";
import { NUL_MESSAGE, nulPath, recordId, wholeNumber } from "../platform/input.js";

const stampIdx = recordId.describe("Stamp IDX");
const cardIdx = recordId.describe("Card IDX");

/** `YYYY-MM-DD`, a real calendar date (from the year 1: PostgreSQL has no year 0). */
const ymd = z
  .string({ error: "must be a date YYYY-MM-DD" })
  .regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date YYYY-MM-DD")
  .refine((d) => {
    const t = new Date(`${d}T00:00:00Z`);
    return !d.startsWith("0000") && !Number.isNaN(t.getTime()) && t.toISOString().startsWith(d);
  }, "is not a calendar date");

const yn = z.enum(["Y", "N"], { error: "must be Y or N" });
const isY = (v: "Y" | "N" | undefined) => (v === undefined ? undefined : v === "Y");

/** Empty or null: no value. */
const blankToNull = (v: unknown) => (v === "" ? null : v);

/** Optional text: absent leaves it, empty or null clears it (update) or leaves it unset (create). */
const text = (max: number) =>
  z.preprocess(blankToNull, z.string({ error: "must be text" }).max(max, `must be at most ${max} characters`).nullable().optional());

const email = z.preprocess(
  blankToNull,
  z.email({ error: "must be an e-mail address" }).max(254, "must be at most 254 characters").nullable().optional(),
);

/** An http(s) URL without query or fragment, kept without a trailing slash. Empty: the default. */
const domain = z.preprocess(
  blankToNull,
  z
    .string({ error: "must be an http(s) URL" })
    .max(255, "must be at most 255 characters")
    .transform((d, ctx) => {
      let u: URL;
      try {
        u = new URL(d);
      } catch {
        u = new URL("invalid:");
      }
      if ((u.protocol !== "https:" && u.protocol !== "http:") || u.search || u.hash || u.username) {
        ctx.addIssue({ code: "custom", message: "must be an http(s) URL such as https://stamp.example.com" });
        return z.NEVER;
      }
      return `${u.origin}${u.pathname}`.replace(/\/+$/, "");
    })
    .nullable()
    .optional(),
);

/** The customer's id at the shop; absent or empty: kept (update) or generated (create). */
const userId = z.preprocess(
  (v) => (v === "" || v === null ? undefined : v),
  z.string({ error: "must be text" }).max(100, "must be at most 100 characters").optional(),
);

/** Fields of the stamp itself, shared by create and update. */
const stampFields = {
  activeYn: yn.optional(),
  domain,
  memo: text(1000),
  userId,
  userNm: text(100),
  userPhnno: text(30),
  userEml: email,
  userEtc1: text(255),
  userEtc2: text(255),
};

type WireFields = z.output<z.ZodObject<typeof stampFields>>;

function fieldsOf(p: WireFields) {
  return {
    active: isY(p.activeYn),
    domain: p.domain,
    memo: p.memo,
    userId: p.userId,
    userName: p.userNm,
    userPhone: p.userPhnno,
    userEmail: p.userEml,
    userEtc1: p.userEtc1,
    userEtc2: p.userEtc2,
  };
}

export const stampIdxParams = z.looseObject({ stampIdx }).transform((p) => p.stampIdx);

export const createParams = z
  .looseObject({
    cardIdx,
    strtYmd: ymd.describe("first valid day"),
    endYmd: ymd.describe("last valid day, at most 5 years from today"),
    ...stampFields,
  })
  .transform((p) => ({
    ...fieldsOf(p),
    active: isY(p.activeYn) ?? true,
    // Create has nothing to clear: null is absent.
    domain: p.domain ?? undefined,
    cardIdx: p.cardIdx,
    validFrom: p.strtYmd,
    validUntil: p.endYmd,
  }));

export const updateParams = z
  .looseObject({
    stampIdx,
    cardIdx: cardIdx.optional(),
    stamps: wholeNumber(0).optional().describe("absolute count, 0..maxStamps"),
    resetPinYn: yn.optional().describe("Y clears the customer's PIN"),
    useYn: yn.optional().describe("Y marks the benefit used, N unused"),
    strtYmd: ymd.optional(),
    endYmd: ymd.optional(),
    ...stampFields,
  })
  .transform((p) => ({
    stampIdx: p.stampIdx,
    update: {
      ...fieldsOf(p),
      cardIdx: p.cardIdx,
      stamps: p.stamps,
      used: isY(p.useYn),
      resetPin: isY(p.resetPinYn),
      validFrom: p.strtYmd,
      validUntil: p.endYmd,
    },
  }));

export const redeemParams = z
  .looseObject({
    stampIdx,
    onsitePwd: z
      .preprocess(blankToNull, z.string({ error: "must be text" }).max(100, "must be at most 100 characters").nullable().optional())
      .describe("required when the card has onsiteYn=Y"),
  })
  .transform((p) => ({ stampIdx: p.stampIdx, onsitePassword: p.onsitePwd ?? null }));

/** Parses `params` with `schema`; the first problem becomes a 1000 that names the parameter. */
export function parseParams<T>(schema: z.ZodType<T>, params: Record<string, unknown>): T {
  const nul = nulPath(params);
  if (nul) throw new StampError("invalid_param", `${nul[0]} ${NUL_MESSAGE}`);
  const parsed = schema.safeParse(params);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const name = String(issue.path[0] ?? "body");
  const missing = issue.path.length > 0 && (params[name] === undefined || params[name] === null || params[name] === "");
  throw new StampError("invalid_param", missing ? `${name} is required` : `${name} ${issue.message}`);
}

const KEY = /^APIKey\s+([A-Za-z0-9_-]{16,128})\s*$/i;

/** The key of `Authorization: APIKey <key>`; a missing or malformed header is a 4010. */
export function parseApiKey(header: string | undefined): string {
  const m = KEY.exec(header ?? "");
  if (!m) throw new StampError("unauthorized");
  return m[1]!;
}
