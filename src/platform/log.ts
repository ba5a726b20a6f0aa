// Log configuration: one JSON line per request, with secrets removed and phone numbers masked, and
// errors logged without the data they carry.
import { LogController, type FastifyReply, type FastifyRequest } from "fastify";
import { pino, type LoggerOptions } from "pino";
import { maskPhone } from "./phone.js";

/**
 * What marks a query parameter as secret, found anywhere in its name once the name is reduced to
 * lowercase letters and digits: `auth_code`, `auth_code[]`, `authCode` and `auth-code` are all
 * "authcode". Too wide rather than too narrow: a parameter wrongly hidden costs nothing.
 */
const SECRET_WORDS = ["auth", "code", "pwd", "pass", "pin", "secret", "token", "key", "sig"];
/** Parameters holding phone numbers (names reduced the same way): logged masked. */
const PHONE_PARAMS = new Set(["number", "tonumber", "userphnno", "phone"]);
/** Paths whose last part is a secret: a stamp page's code, which opens the customer's page. */
const SECRET_PATH = /^(\/stamp\/)[^/?]+/;

const reduced = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, "");

/** The request URL with secret parameters and path parts replaced and phone numbers masked. */
export function safeUrl(url: string): string {
  const q = url.indexOf("?");
  const path = (q < 0 ? url : url.slice(0, q)).replace(SECRET_PATH, "$1[redacted]");
  if (q < 0) return path;
  const params = new URLSearchParams(url.slice(q + 1));
  const safe = new URLSearchParams();
  for (const [name, value] of params) {
    const n = reduced(name);
    if (SECRET_WORDS.some((w) => n.includes(w))) safe.append(name, "[redacted]");
    else if (PHONE_PARAMS.has(n)) safe.append(name, maskPhone(value));
    else safe.append(name, value);
  }
  return `${path}?${safe.toString()}`;
}

/**
 * An error as logged: its kind, message, stack, code and HTTP status, and its cause the same way,
 * and nothing else. Database errors carry what must not be logged: PGlite's the statement and every
 * parameter (`query`, `params`), PostgreSQL's values in `detail` ("Key (phone)=(...)") and `where`,
 * Prisma's in `meta`. A data exception's message quotes the value it could not take: that goes too.
 */
export function safeError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const { code, statusCode } = err as { code?: unknown; statusCode?: unknown };
  const dataException = typeof code === "string" && code.startsWith("22");
  const clean = (text: string | undefined) => (dataException ? text?.replace(/"(?:[^"]|"")*"/g, '"[redacted]"') : text);
  return {
    type: err.constructor.name,
    message: clean(err.message),
    stack: clean(err.stack),
    ...(typeof code === "string" || typeof code === "number" ? { code } : {}),
    ...(typeof statusCode === "number" ? { statusCode } : {}),
    ...(err.cause !== undefined ? { cause: safeError(err.cause) } : {}),
  };
}

export function loggerOptions(
  level: string,
  // Standard output, written asynchronously and in blocks of at least 4 KiB, or every 250 ms
  // when fewer lines came: under load, one write carries many requests' lines rather than one
  // each. pino writes what is left when the process exits.
  stream: pino.DestinationStream = pino.destination({ sync: false, minLength: 4096, periodicFlush: 250 }),
): LoggerOptions & { stream: pino.DestinationStream } {
  return {
    level,
    stream,
    // Anything else logged with these fields loses them, whatever the call site.
    redact: {
      paths: [
        "req.headers.authorization",
        "*.auth_code",
        "*.authCode",
        "*.key",
        "*.apiKey",
        "*.secret",
        "*.pin",
        "*.onsitePwd",
        "*.password",
        "*.token",
      ],
      censor: "[redacted]",
    },
    serializers: {
      err: safeError,
      req: (req: FastifyRequest) => ({ method: req.method, url: safeUrl(req.url), remoteAddress: req.ip }),
    },
  };
}

/** The log of a start before the server exists (database, migrations, demo store): written at once, so before its lines. */
export function startLogger(level: string): pino.Logger {
  const { stream, ...options } = loggerOptions(level, pino.destination({ sync: true }));
  return pino(options, stream);
}

/** Fastify's request log lines, reduced to one line per request, written when it is answered. */
export class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    request.log.info(
      {
        method: request.method,
        url: safeUrl(request.url),
        route: request.routeOptions.url,
        // The client's address: X-Forwarded-For's when TRUST_PROXY trusts the load balancer.
        remoteAddress: request.ip,
        statusCode: reply.statusCode,
        // OPEN API and stamp API calls: the store and the answer's code (an OPEN API refusal is HTTP 200 too).
        ...(request.apiAnswer ? { storeId: request.apiAnswer.storeId, code: request.apiAnswer.code } : {}),
        responseTime: Math.round(reply.elapsedTime * 10) / 10,
        ...(error ? { err: error } : {}),
      },
      "request",
    );
  }
}
