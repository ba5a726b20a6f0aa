// A webhook receiver for stampd (the same code accepts the original service's webhooks): it checks
// X-Content-SHA256 and X-Vivoldi-Signature before trusting a delivery, and handles each event once.
//
//   WEBHOOK_SECRET=<the secret printed by `stampd webhook set`> PORT=8080 node docs/webhook-receiver.mjs
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import http from "node:http";
import { pathToFileURL } from "node:url";

/** Deliveries older (or newer) than this are refused, so a captured request cannot be replayed later. */
const TOLERANCE_MS = 5 * 60 * 1000;

/** Constant-time equality of two texts (a header can hold anything, so compare their bytes' lengths). */
const sameText = (a, b) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * True when `rawBody` (the bytes as received, before any JSON parsing) is what the sender signed
 * with `secret`. `headers` are Node's request headers (lower-case names).
 */
export function verifyWebhook(headers, rawBody, secret, now = Date.now()) {
  const parts = Object.fromEntries(
    String(headers["x-vivoldi-signature"] ?? "")
      .split(",")
      .map((p) => [p.slice(0, p.indexOf("=")), p.slice(p.indexOf("=") + 1)]),
  );
  const timestamp = headers["x-vivoldi-timestamp"];
  if (parts.alg !== "hmac-sha256" || !parts.t || !parts.v1 || parts.t !== timestamp) return false;
  if (Math.abs(now - Number(timestamp)) > TOLERANCE_MS) return false;
  const bodyHash = createHash("sha256").update(rawBody).digest("hex");
  if (!sameText(bodyHash, String(headers["x-content-sha256"] ?? ""))) return false;
  const expected = createHmac("sha256", secret).update(`${timestamp}.`).update(rawBody).digest("hex");
  return sameText(expected, parts.v1);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const secret = process.env.WEBHOOK_SECRET;
  if (!secret) throw new Error("set WEBHOOK_SECRET");
  // Retries repeat X-Vivoldi-Event-Id: remember what was handled (a real receiver uses its database).
  const handled = new Set();
  http
    .createServer((req, res) => {
      const chunks = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        const raw = Buffer.concat(chunks);
        if (!verifyWebhook(req.headers, raw, secret)) return res.writeHead(401).end();
        const eventId = req.headers["x-vivoldi-event-id"];
        if (!handled.has(eventId)) {
          handled.add(eventId);
          const event = JSON.parse(raw.toString("utf8"));
          console.log(event.resourceType, event.action, event.change, JSON.stringify(event.stamp ?? event.point));
        }
        res.writeHead(204).end(); // any 2xx: delivered
      });
    })
    .listen(Number(process.env.PORT ?? 8080));
}
