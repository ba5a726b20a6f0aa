// Logging in and out, and the language switch: the console's public routes. A login starts a new
// session (a new token, whatever the browser held before); a refused one answers the same page
// and status whatever the reason (src/console/users/service.ts). Logout ends the session.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { isLanguage } from "../../platform/i18n.js";
import type { ConsoleDeps } from "../deps.js";
import { CsrfField } from "../../platform/page.js";
import { anyPageContext, CONSOLE_PATH, cookieOptions, flash, LANGUAGE_COOKIE, languageOf, sendPage } from "../page.js";
import { LOGIN_WORDS } from "./words.js";

export const SESSION_COOKIE = "console_session";
export const LOGIN_PATH = `${CONSOLE_PATH}/login`;

/** The session token the browser holds, if its cookie is one this server signed. */
export function sessionToken(request: FastifyRequest): string | null {
  const cookie = request.cookies[SESSION_COOKIE];
  if (cookie === undefined) return null;
  const unsigned = request.unsignCookie(cookie);
  return unsigned.valid ? unsigned.value : null;
}

/** A console page to go back to; anything else (another site, another part of the server) is the console's start. */
export function safeNext(next: unknown): string {
  return typeof next === "string" && /^\/console(?:[/?][^\s\\]*)?$/.test(next) && !next.includes("//") ? next : CONSOLE_PATH;
}

const loginForm = z
  .object({ login: z.string().catch(""), password: z.string().catch(""), next: z.string().optional().catch(undefined) })
  .catch({
    login: "",
    password: "",
  });
const languageForm = z.object({ lang: z.string().catch(""), next: z.string().optional().catch(undefined) }).catch({ lang: "" });

function LoginForm({ csrf, next, login, w }: { csrf: string; next: string; login: string; w: (typeof LOGIN_WORDS)["en"] }) {
  return (
    <form method="post" action={LOGIN_PATH} class="panel login">
      <CsrfField csrf={csrf} />
      <input type="hidden" name="next" value={next} />
      <label for="login-id">{w.login}</label>
      <input id="login-id" name="login" value={login} autocomplete="username" autocapitalize="none" required data-testid="login-id" />
      <label for="login-password">{w.password}</label>
      <input id="login-password" name="password" type="password" autocomplete="current-password" required data-testid="login-password" />
      <button type="submit" data-testid="login-submit">
        {w.submit}
      </button>
    </form>
  );
}

function showLogin(request: FastifyRequest, reply: FastifyReply, opts: { next: string; login: string; status: number }) {
  const ctx = anyPageContext(request, reply);
  const w = LOGIN_WORDS[ctx.lang];
  if (opts.status !== 200) ctx.message = { kind: "error", text: w.refused };
  return sendPage(request, reply, {
    title: w.title,
    status: opts.status,
    body: <LoginForm csrf={ctx.csrf} next={opts.next} login={opts.login} w={w} />,
  });
}

/** Routes are relative to the console's prefix (src/app.ts); links and redirects name whole paths. */
export const loginRoutes =
  (deps: ConsoleDeps): FastifyPluginAsync =>
  async (app) => {
    const publicRoute = { config: { role: "public" as const } };

    app.get("/login", publicRoute, async (request, reply) => {
      const next = safeNext((request.query as { next?: unknown }).next);
      if (request.consoleUser) return reply.redirect(next, 303);
      return showLogin(request, reply, { next, login: "", status: 200 });
    });

    app.post("/login", publicRoute, async (request, reply) => {
      const form = loginForm.parse(request.body);
      const next = safeNext(form.next);
      const user = await deps.consoleUsers.authenticate(form.login, form.password);
      if (!user) return showLogin(request, reply, { next, login: form.login, status: 401 });
      const previous = sessionToken(request);
      if (previous) await deps.consoleSessions.end(previous);
      const token = await deps.consoleSessions.start(user.id);
      return reply.setCookie(SESSION_COOKIE, token, cookieOptions(request)).redirect(next, 303);
    });

    app.post("/logout", publicRoute, async (request, reply) => {
      const token = sessionToken(request);
      if (token) await deps.consoleSessions.end(token);
      reply.clearCookie(SESSION_COOKIE, { path: CONSOLE_PATH });
      flash(reply, { kind: "ok", text: LOGIN_WORDS[languageOf(request)].loggedOut });
      return reply.redirect(LOGIN_PATH, 303);
    });

    app.post("/lang", publicRoute, async (request, reply) => {
      const form = languageForm.parse(request.body);
      if (isLanguage(form.lang)) {
        reply.setCookie(LANGUAGE_COOKIE, form.lang, { ...cookieOptions(request), signed: false, maxAge: 365 * 24 * 3600 });
      }
      return reply.redirect(safeNext(form.next), 303);
    });
  };
