// One delivery attempt: the spec's headers (vivoldi-stamp-api.md, "Webhooks"), signed, POSTed with
// a deadline. Redirects are not followed (a 3xx is a failed attempt), and at most EXCERPT_CHARS of
// the answer are read and kept.
import { createHmac } from "node:crypto";
import { digest } from "../platform/secrets.js";
import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import { assertPublicHost, hostOf, publicOnlyLookup } from "./address-guard.js";

export const EXCERPT_CHARS = 512;

export interface OutgoingEvent {
  eventId: string;
  /** X-Vivoldi-Request-Id: new for every attempt. */
  requestId: string;
  storeId: number;
  resourceType: string;
  action: string;
  body: string;
}

/** The headers of one attempt; `timestamp` is epoch milliseconds. */
export function signedHeaders(e: OutgoingEvent, secret: string, timestamp: number): Record<string, string> {
  const signature = createHmac("sha256", secret).update(`${timestamp}.${e.body}`).digest("hex");
  return {
    "Content-Type": "application/json",
    "User-Agent": "stampd-webhooks",
    "X-Vivoldi-Request-Id": e.requestId,
    "X-Vivoldi-Event-Id": e.eventId,
    "X-Vivoldi-Webhook-Type": "GROUP",
    "X-Vivoldi-Resource-Type": e.resourceType,
    "X-Vivoldi-Action-Type": e.action,
    "X-Vivoldi-Comp-Idx": String(e.storeId),
    "X-Vivoldi-Timestamp": String(timestamp),
    "X-Content-SHA256": digest(e.body),
    "X-Vivoldi-Signature": `t=${timestamp},v1=${signature},alg=hmac-sha256`,
  };
}

export interface AttemptResult {
  /** Any 2xx. */
  ok: boolean;
  statusCode: number | null;
  /** Why the attempt failed, at most EXCERPT_CHARS; null when it succeeded. */
  error: string | null;
  responseExcerpt: string | null;
  durationMs: number;
}

export interface PostOptions {
  timeoutMs: number;
  allowPrivate: boolean;
  agents: { http: http.Agent; https: https.Agent };
}

/**
 * `text` as PostgreSQL text can hold it, at most EXCERPT_CHARS: a NUL character (which a
 * receiver may well send) is written `\0`. Were the attempt's row refused, its outcome would never
 * be recorded, and the event would be sent again every lease, forever.
 */
function storable(text: string | null): string | null {
  return text === null ? null : text.replaceAll("\0", "\\0").slice(0, EXCERPT_CHARS);
}

export async function postEvent(url: string, e: OutgoingEvent, secret: string, opts: PostOptions): Promise<AttemptResult> {
  const started = performance.now();
  const done = (r: Omit<AttemptResult, "durationMs">): AttemptResult => ({
    ...r,
    error: storable(r.error),
    responseExcerpt: storable(r.responseExcerpt),
    durationMs: Math.round(performance.now() - started),
  });
  try {
    const target = new URL(url);
    if (!opts.allowPrivate && isIP(hostOf(target))) await assertPublicHost(hostOf(target));
    const { statusCode, excerpt } = await send(target, e.body, signedHeaders(e, secret, Date.now()), opts);
    const ok = statusCode >= 200 && statusCode < 300;
    return done({ ok, statusCode, error: ok ? null : `HTTP ${statusCode}`, responseExcerpt: excerpt || null });
  } catch (err) {
    const timedOut = (err as Error).name === "TimeoutError" || (err as Error).name === "AbortError";
    return done({
      ok: false,
      statusCode: null,
      error: timedOut ? `no answer within ${opts.timeoutMs} ms` : (err as Error).message,
      responseExcerpt: null,
    });
  }
}

function send(
  url: URL,
  body: string,
  headers: Record<string, string>,
  opts: PostOptions,
): Promise<{ statusCode: number; excerpt: string }> {
  const secure = url.protocol === "https:";
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request(url, {
      method: "POST",
      headers: { ...headers, "Content-Length": String(Buffer.byteLength(body)) },
      agent: secure ? opts.agents.https : opts.agents.http,
      signal: AbortSignal.timeout(opts.timeoutMs),
      ...(opts.allowPrivate ? {} : { lookup: publicOnlyLookup }),
    });
    req.on("error", reject);
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const finish = () =>
        resolve({ statusCode: res.statusCode!, excerpt: Buffer.concat(chunks).toString("utf8").slice(0, EXCERPT_CHARS) });
      res.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        // Enough for the excerpt: stop reading (and drop the connection) rather than store more.
        if (size >= EXCERPT_CHARS * 4) {
          finish();
          res.destroy();
        }
      });
      res.on("end", finish);
      res.on("error", reject);
    });
    req.end(body);
  });
}
