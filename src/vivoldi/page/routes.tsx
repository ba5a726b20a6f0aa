// The customer's stamp page behind `stampUrl`: GET /stamp/:code shows the PIN form or the card,
// POST /stamp/:code/pin sets or checks the PIN, POST /stamp/:code/onsite adds a stamp after the
// card's on-site password; the default stamp image and the style sheet are under /static/. The
// routes only read forms, cookies and the language and choose what to show; the rules live in
// StampPageService, StampService and the ledger. Successful POSTs redirect (303) so that a reload
// cannot post twice; refused ones show the form again with why.
import { unreachable } from "../../platform/errors.js";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { VNode } from "preact";
import cookie from "@fastify/cookie";
import csrf from "@fastify/csrf-protection";
import { z } from "zod";
import { isClientError, type AnswerError } from "../../platform/plugins/errors.js";
import { DEFAULT_STAMP_IMAGE_PATH, STAMP_PAGE_PATH } from "../payload.js";
import { PIN_FORMAT, type PageStamp, type StampPageService } from "./service.js";
import { minutesLeft, PAGE_MAX_FAILURES, type GuessCount } from "./throttle.js";
import { PAGE_CSS, STAMP_SVG } from "./assets.js";
import { WORDS, type Words } from "./i18n.js";
import { pickLanguage } from "../../platform/i18n.js";
import { HTML_HEADERS, renderDocument } from "../../platform/page.js";
import { CardPage, Notice, PinPage, STYLE_SHEET_PATH, type Message } from "./views.js";

export interface StampPageDeps {
  pages: StampPageService;
  /** Signs the page's cookies; the same for every instance on one database (src/platform/secrets.ts). */
  cookieSecret: string;
  /** PUBLIC_BASE_URL: the default stamp image's URL in stamp objects starts with it. */
  publicBaseUrl: string;
}

/** Remembers a browser that entered the PIN, on that stamp's page only. */
const PIN_COOKIE = "stamp_pin";
const PIN_COOKIE_DAYS = 90;

/** Page codes are base64url tokens (src/platform/secrets.ts newSecret). */
const PAGE_CODE = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The app-wide security headers allow images from this server only; a card's own stamp image may
 * be anywhere on https. A route's options replace the app's, so upgrading stays off
 * here too (see src/app.ts).
 */
const PAGE_SECURITY_HEADERS = {
  contentSecurityPolicy: { directives: { upgradeInsecureRequests: null, imgSrc: ["'self'", "data:", "https:"] } },
};

/** Form fields; anything but one text value counts as empty (and then as a wrong guess or format). */
const pinForm = z.object({ pin: z.string().catch(""), pinConfirm: z.string().optional().catch(undefined) }).catch({ pin: "" });
const onsiteForm = z.object({ password: z.string().catch("") }).catch({ password: "" });

const words = (request: FastifyRequest) => {
  const lang = pickLanguage(request.headers);
  return { lang, w: WORDS[lang] };
};

const pagePath = (code: string) => `${STAMP_PAGE_PATH}${code}`;

function sendHtml(reply: FastifyReply, status: number, page: VNode) {
  return reply.code(status).headers(HTML_HEADERS).send(renderDocument(page));
}

/** Why a guess was refused, and the status to answer with. */
function guessRefusal(
  g: GuessCount,
  wrong: (triesLeft: number) => string,
  w: Words,
): { status: number; message: Message; retryAfter?: number } {
  if (g.locked_until) {
    const minutes = minutesLeft(g.locked_until);
    return { status: 429, message: { text: w.locked(minutes), error: true }, retryAfter: minutes * 60 };
  }
  return { status: 403, message: { text: wrong(PAGE_MAX_FAILURES - g.failures), error: true } };
}

/** Every error on a page route answers a page: an expired form (CSRF), a bad request, or a 500. */
const answerPageError: AnswerError = (err, request) => {
  const { lang, w } = words(request);
  const code = (request.params as { code?: string }).code;
  const back = code && PAGE_CODE.test(code) ? { href: pagePath(code), label: w.backToCard } : undefined;
  const headers = { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" };
  if (isClientError(err)) {
    const expired = err.statusCode === 403;
    const [title, text] = expired ? [w.formExpiredTitle, w.formExpired] : [w.errorTitle, w.errorText];
    return {
      status: err.statusCode!,
      body: renderDocument(<Notice lang={lang} title={title} text={text} link={back} />),
      headers,
      expected: true,
    };
  }
  return {
    status: 500,
    body: renderDocument(<Notice lang={lang} title={w.errorTitle} text={w.errorText} link={back} />),
    headers,
    expected: false,
  };
};

export const stampPageRoutes =
  (deps: StampPageDeps): FastifyPluginAsync =>
  async (app) => {
    const { pages } = deps;
    await app.register(cookie, { secret: deps.cookieSecret });
    // The CSRF secret's cookie is Strict: forms are only ever posted from the page itself.
    await app.register(csrf, {
      cookieKey: "stamp_csrf",
      cookieOpts: { path: STAMP_PAGE_PATH.replace(/\/$/, ""), httpOnly: true, sameSite: "strict", signed: true },
    });

    const pageRoute = { config: { answerError: answerPageError, securityHeaders: PAGE_SECURITY_HEADERS }, schema: { hide: true } };
    // Fastify calls a hook with `this` bound to the instance, as the plugin expects.
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const formRoute = { ...pageRoute, preHandler: app.csrfProtection };
    const secure = (request: FastifyRequest) => request.protocol === "https";
    const csrfToken = (request: FastifyRequest, reply: FastifyReply) => reply.generateCsrf({ secure: secure(request) });

    /** The page of a well-formed code, or null after answering the 404 page. */
    const findPage = async (request: FastifyRequest, reply: FastifyReply): Promise<PageStamp | null> => {
      const { code } = request.params as { code: string };
      const page = PAGE_CODE.test(code) ? await pages.find(code) : null;
      if (!page) {
        const { lang, w } = words(request);
        await sendHtml(reply, 404, <Notice lang={lang} title={w.notFoundTitle} text={w.notFoundText} />);
      }
      return page;
    };

    const remembered = (request: FastifyRequest, page: PageStamp) => {
      const signed = request.cookies[PIN_COOKIE];
      const token = signed ? request.unsignCookie(signed) : null;
      return pages.remembers(page, token?.valid ? token.value : null);
    };

    /** The browser entered (or set) the PIN: remember it and show the card. */
    const rememberAndShow = (request: FastifyRequest, reply: FastifyReply, page: PageStamp) =>
      reply
        .setCookie(PIN_COOKIE, pages.browserToken(page)!, {
          path: pagePath(page.pageCode),
          httpOnly: true,
          // Lax, not Strict: the customer opens stampUrl from a message or a shop's site, and
          // should see the card without entering the PIN again. POSTs need the CSRF token anyway.
          sameSite: "lax",
          secure: secure(request),
          signed: true,
          maxAge: PIN_COOKIE_DAYS * 24 * 3600,
        })
        .redirect(pagePath(page.pageCode), 303);

    const showPin = (request: FastifyRequest, reply: FastifyReply, page: PageStamp, status: number, message: Message | null) => {
      const { lang, w } = words(request);
      const mode = page.pinHash === null ? "set" : "enter";
      const action = `${pagePath(page.pageCode)}/pin`;
      return sendHtml(
        reply,
        status,
        <PinPage lang={lang} w={w} mode={mode} action={action} csrfToken={csrfToken(request, reply)} message={message} />,
      );
    };

    const showCard = async (request: FastifyRequest, reply: FastifyReply, page: PageStamp, status: number, message: Message | null) => {
      const { lang, w } = words(request);
      const shown = await pages.read(page);
      if (!shown) return sendHtml(reply, 404, <Notice lang={lang} title={w.notFoundTitle} text={w.notFoundText} />);
      const { stamp, unusable } = shown;
      const onsite = stamp.onsiteYn === "Y" && unusable === null && stamp.stamps < stamp.maxStamps;
      // The default image from where the page itself came from (PUBLIC_BASE_URL may name another host).
      const imageSrc = stamp.stampImgUrl === deps.publicBaseUrl + DEFAULT_STAMP_IMAGE_PATH ? DEFAULT_STAMP_IMAGE_PATH : stamp.stampImgUrl;
      return sendHtml(
        reply,
        status,
        <CardPage
          lang={lang}
          w={w}
          stamp={stamp}
          unusable={unusable}
          imageSrc={imageSrc}
          onsiteAction={onsite ? `${pagePath(page.pageCode)}/onsite` : null}
          csrfToken={csrfToken(request, reply)}
          message={message}
        />,
      );
    };

    app.get(DEFAULT_STAMP_IMAGE_PATH, { schema: { hide: true } }, (_request, reply) =>
      reply.header("content-type", "image/svg+xml").header("cache-control", "public, max-age=86400").send(STAMP_SVG),
    );
    app.get(STYLE_SHEET_PATH, { schema: { hide: true } }, (_request, reply) =>
      reply.header("content-type", "text/css; charset=utf-8").header("cache-control", "public, max-age=3600").send(PAGE_CSS),
    );

    app.get(`${STAMP_PAGE_PATH}:code`, pageRoute, async (request, reply) => {
      const page = await findPage(request, reply);
      if (!page) return reply;
      if (!remembered(request, page)) return showPin(request, reply, page, 200, null);
      const added = (request.query as { added?: string }).added === "1";
      return showCard(request, reply, page, 200, added ? { text: words(request).w.stampAdded, error: false } : null);
    });

    app.post(`${STAMP_PAGE_PATH}:code/pin`, formRoute, async (request, reply) => {
      const page = await findPage(request, reply);
      if (!page) return reply;
      const { w } = words(request);
      const form = pinForm.parse(request.body);
      if (!PIN_FORMAT.test(form.pin)) return showPin(request, reply, page, 422, { text: w.pinFormat, error: true });
      if (page.pinHash === null) {
        if (form.pinConfirm !== form.pin) return showPin(request, reply, page, 422, { text: w.pinMismatch, error: true });
        // Another browser may have set it meanwhile: then this one is asked for it.
        if (!(await pages.setPin(page, form.pin))) return reply.redirect(pagePath(page.pageCode), 303);
        return rememberAndShow(request, reply, page);
      }
      const guess = await pages.checkPin(page, form.pin);
      if (guess.right) return rememberAndShow(request, reply, page);
      const refused = guessRefusal(guess, w.wrongPin, w);
      if (refused.retryAfter) reply.header("retry-after", String(refused.retryAfter));
      return showPin(request, reply, page, refused.status, refused.message);
    });

    app.post(`${STAMP_PAGE_PATH}:code/onsite`, formRoute, async (request, reply) => {
      const page = await findPage(request, reply);
      if (!page) return reply;
      if (!remembered(request, page)) return reply.redirect(pagePath(page.pageCode), 303);
      const { w } = words(request);
      const form = onsiteForm.parse(request.body);
      const out = await pages.addOnSite(page, form.password);
      switch (out.refusal) {
        case null:
          return reply.redirect(`${pagePath(page.pageCode)}?added=1`, 303);
        case "wrong_onsite_password": {
          const refused = guessRefusal(out.guess, w.wrongOnsite, w);
          if (refused.retryAfter) reply.header("retry-after", String(refused.retryAfter));
          return showCard(request, reply, page, refused.status, refused.message);
        }
        case "stamp_not_found":
        case "inactive":
        case "not_started":
        case "expired":
        case "already_used":
        case "card_full":
          // The card's state (full, expired, used, ...) is what the page shows next to the count.
          return showCard(request, reply, page, 409, null);
        default:
          return unreachable(out.refusal);
      }
    });
  };
