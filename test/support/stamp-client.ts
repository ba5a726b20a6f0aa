// A client of the stamp API as a shop's integration would write one: the APIKey header, JSON
// bodies for POST and PUT, the query string for GET and DELETE (or a form body when asked). The
// requests go through the app's inject, in the test process.
import type { RunningServer } from "../../src/server.js";
import { StampService } from "../../src/vivoldi/service.js";

export interface StampAnswer {
  status: number;
  headers: Headers;
  code: number;
  message: string;
  result: any;
}

export type Params = Record<string, string | number | null>;

export interface CallOptions {
  /** Send the parameters as a form body instead of JSON (or as well as the query string). */
  form?: boolean;
  /** The whole Authorization header, instead of `APIKey <key>`. */
  authorization?: string | null;
}

const QUERY_METHODS: Record<string, "GET" | "DELETE"> = { validate: "GET", delete: "DELETE" };
const BODY_METHODS: Record<string, "POST" | "PUT"> = { create: "POST", add: "PUT", remove: "PUT", update: "PUT", redeem: "PUT" };

/** A client of the stamp API of `s` (a test server, or any running server of this process). */
export function stampClient(s: Pick<RunningServer, "app">, key: string) {
  return async (endpoint: string, params: Params = {}, opts: CallOptions = {}): Promise<StampAnswer> => {
    const method = QUERY_METHODS[endpoint] ?? BODY_METHODS[endpoint];
    if (!method) throw new Error(`no endpoint ${endpoint}`);
    const headers: Record<string, string> = {};
    const authorization = opts.authorization === undefined ? `APIKey ${key}` : opts.authorization;
    if (authorization !== null) headers.authorization = authorization;
    let url = `/api/stamp/v1/${endpoint}`;
    let body: string | undefined;
    const pairs = Object.entries(params).map(([k, v]) => [k, v === null ? "" : String(v)]);
    if (opts.form) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(pairs).toString();
    } else if (method === "GET" || method === "DELETE") {
      url += `?${new URLSearchParams(pairs)}`;
    } else {
      headers["content-type"] = "application/json";
      body = JSON.stringify(params);
    }
    const res = await s.app.inject({ method, url, headers, payload: body });
    const json = res.json<{ code: number; message: string; result: unknown }>();
    const answerHeaders = new Headers();
    for (const [name, value] of Object.entries(res.headers)) {
      for (const v of Array.isArray(value) ? value : [value]) if (v !== undefined) answerHeaders.append(name, String(v));
    }
    return { status: res.statusCode, headers: answerHeaders, ...json };
  };
}

export type StampCall = ReturnType<typeof stampClient>;

/** The date `days` from today in the time zone, `YYYY-MM-DD`. */
export function dayFromToday(days: number, timeZone: string): string {
  const today = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
  const d = new Date(`${today}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** The stamp service of `s` with the time of every call pinned to `clock.now` (moved by the test). */
export function pinnedStampService(s: RunningServer & { config: { publicBaseUrl: string } }) {
  const clock = { now: new Date(0) };
  const service = new StampService(
    s.db,
    { timeZone: "Asia/Seoul", publicBaseUrl: s.config.publicBaseUrl, clock: () => clock.now },
    s.services.webhookNudge,
  );
  return { clock, service };
}
