// Every console page: the layout around an area's body (doctype, language, viewport, the
// navigation of the user's role, the language switch, the message area), the context that the
// area's components get (user, language, CSRF token, the last action's message), and the
// Post/Redirect/Get message carried by a short-lived cookie from a POST to the page after it.
import { randomUUID } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { ComponentChildren } from "preact";
import { z } from "zod";
import { isLanguage, pickLanguage, type Language } from "../platform/i18n.js";
import { CsrfField, Document, HTML_HEADERS, renderDocument } from "../platform/page.js";
import type { ConsoleUser } from "./users/service.js";
import { LAYOUT_WORDS } from "./words.js";

export const CONSOLE_PATH = "/console";
export const STYLE_SHEET_PATH = `${CONSOLE_PATH}/assets/console.css`;
export const LANGUAGE_COOKIE = "console_lang";
const FLASH_COOKIE = "console_flash";

/** The result of the last action, shown once on the page after it. */
export interface Message {
  kind: "ok" | "error";
  text: string;
}

/** What a page's components are given. */
export interface PageContext {
  user: ConsoleUser;
  lang: Language;
  /** The `_csrf` field of every form. */
  csrf: string;
  message: Message | null;
  /** A new key for a form that changes the ledger, so that a double-tap saves once. */
  idempotencyKey: () => string;
}

/** The context of any console page, a logged-in user's or not (the login page). */
export type AnyPageContext = Omit<PageContext, "user"> & { user: ConsoleUser | null };

/** The cookie options of the console: its path only, not readable by scripts, Secure behind TLS. */
export const cookieOptions = (request: FastifyRequest) =>
  ({ path: CONSOLE_PATH, httpOnly: true, sameSite: "lax", secure: request.protocol === "https", signed: true }) as const;

/** The language chosen with the switch, else the browser's. */
export function languageOf(request: FastifyRequest): Language {
  const chosen = request.cookies[LANGUAGE_COOKIE];
  return isLanguage(chosen) ? chosen : pickLanguage(request.headers);
}

/** Shows `message` on the next page this browser gets (after the redirect that follows a POST). */
export function flash(reply: FastifyReply, message: Message): FastifyReply {
  return reply.setCookie(FLASH_COOKIE, JSON.stringify(message), cookieOptions(reply.request));
}

const flashed = z.object({ kind: z.enum(["ok", "error"]), text: z.string() });

/** The message flashed to this page, once: the cookie is cleared as it is read. */
function takeFlash(request: FastifyRequest, reply: FastifyReply): Message | null {
  const cookie = request.cookies[FLASH_COOKIE];
  if (cookie === undefined) return null;
  reply.clearCookie(FLASH_COOKIE, { path: CONSOLE_PATH });
  const unsigned = request.unsignCookie(cookie);
  if (!unsigned.valid || unsigned.value === null) return null;
  try {
    return flashed.parse(JSON.parse(unsigned.value));
  } catch {
    return null;
  }
}

/** One context per request: the flash is taken and the CSRF secret made once, however often it is asked for. */
const contexts = new WeakMap<FastifyRequest, AnyPageContext>();

export function anyPageContext(request: FastifyRequest, reply: FastifyReply): AnyPageContext {
  let ctx = contexts.get(request);
  if (!ctx) {
    ctx = {
      user: request.consoleUser,
      lang: languageOf(request),
      csrf: reply.generateCsrf({ secure: request.protocol === "https" }),
      message: takeFlash(request, reply),
      idempotencyKey: randomUUID,
    };
    contexts.set(request, ctx);
  }
  return ctx;
}

/** The context of a logged-in user's page (every route but `public` ones: the role guard has run). */
export function pageContext(request: FastifyRequest, reply: FastifyReply): PageContext {
  const ctx = anyPageContext(request, reply);
  if (!ctx.user) throw new Error(`${request.url}: a page of a logged-in user, without one`);
  // The same object, so that a message set on it reaches sendPage.
  return ctx as PageContext;
}

/** The message area: present and empty without a message, so that screen readers know where it is. */
export function MessageArea({ message }: { message: Message | null }) {
  const error = message?.kind === "error";
  return (
    <p class={error ? "message error" : "message"} role={error ? "alert" : "status"} data-testid="message">
      {message?.text}
    </p>
  );
}

const NAV: { key: keyof (typeof LAYOUT_WORDS)["en"]["nav"]; path: string; owner?: true }[] = [
  { key: "today", path: CONSOLE_PATH },
  { key: "counter", path: `${CONSOLE_PATH}/counter` },
  { key: "members", path: `${CONSOLE_PATH}/members` },
  { key: "cards", path: `${CONSOLE_PATH}/cards` },
  { key: "data", path: `${CONSOLE_PATH}/data`, owner: true },
  { key: "settings", path: `${CONSOLE_PATH}/settings`, owner: true },
];

interface LayoutProps {
  lang: Language;
  title: string;
  user: ConsoleUser | null;
  /** Null on an error page, which has no forms (its answer is made without a reply). */
  csrf: string | null;
  message: Message | null;
  /** The path of this page, for the navigation's current item and the language switch's way back. */
  path: string;
  children: ComponentChildren;
}

export function Layout(p: LayoutProps) {
  const w = LAYOUT_WORDS[p.lang];
  const other: Language = p.lang === "ko" ? "en" : "ko";
  return (
    <Document lang={p.lang} title={p.user ? `${p.title} · ${p.user.storeName}` : `${p.title} · ${w.console}`} styleSheet={STYLE_SHEET_PATH}>
      <header class="top">
        <span class="brand">{p.user ? p.user.storeName : w.console}</span>
        {p.csrf !== null && (
          <form method="post" action={`${CONSOLE_PATH}/lang`} class="inline">
            <CsrfField csrf={p.csrf} />
            <input type="hidden" name="lang" value={other} />
            <input type="hidden" name="next" value={p.path} />
            <button type="submit" class="link" lang={other} data-testid="lang-switch">
              {w.otherLanguage}
            </button>
          </form>
        )}
        {p.user && p.csrf !== null && (
          <form method="post" action={`${CONSOLE_PATH}/logout`} class="inline">
            <CsrfField csrf={p.csrf} />
            <button type="submit" class="link" data-testid="logout">
              {w.logout} ({p.user.login})
            </button>
          </form>
        )}
      </header>
      {p.user && (
        <nav aria-label={w.navLabel}>
          <ul>
            {NAV.filter((n) => !n.owner || p.user!.role === "owner").map((n) => (
              <li key={n.key}>
                <a href={n.path} aria-current={p.path.split("?")[0] === n.path ? "page" : undefined}>
                  {w.nav[n.key]}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      )}
      <main>
        <h1>{p.title}</h1>
        <MessageArea message={p.message} />
        {p.children}
      </main>
    </Document>
  );
}

/** Answers a console page: `body` in the layout, for the request's user and language. */
export function sendPage(
  request: FastifyRequest,
  reply: FastifyReply,
  page: { title: string; body: ComponentChildren; status?: number },
): FastifyReply {
  const ctx = anyPageContext(request, reply);
  const html = renderDocument(
    <Layout lang={ctx.lang} title={page.title} user={ctx.user} csrf={ctx.csrf} message={ctx.message} path={request.url}>
      {page.body}
    </Layout>,
  );
  return reply
    .code(page.status ?? 200)
    .headers(HTML_HEADERS)
    .send(html);
}
