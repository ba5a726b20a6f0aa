// Log configuration: one JSON line per request, with secrets removed and phone numbers masked.
import { LogController, type FastifyReply, type FastifyRequest } from "fastify";
import { pino, type LoggerOptions } from "pino";
import { maskPhone } from "./phone.js";

/** Query and body parameters never logged as they are. */
const SECRET_PARAMS = new Set(["auth_code", "onsitepwd", "onsite_pwd", "pin", "password", "key", "apikey", "token"]);
/** Parameters holding phone numbers: logged masked. */
const PHONE_PARAMS = new Set(["number", "to_number", "userphnno", "phone"]);

/** The request URL with secret parameters replaced and phone numbers masked. */
export function safeUrl(url: string): string {
  const q = url.indexOf("?");
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  for (const [name, value] of [...params]) {
    const n = name.toLowerCase();
    if (SECRET_PARAMS.has(n)) params.set(name, "[redacted]");
    else if (PHONE_PARAMS.has(n)) params.set(name, maskPhone(value));
  }
  return `${url.slice(0, q)}?${params.toString()}`;
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
