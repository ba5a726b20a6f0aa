// The store console, registered under /console (shared/spec/console.md): cookies signed with a key shared by
// every instance, CSRF protection on every POST, the session of the browser, and the role guard,
// then each area's routes. Every route declares who may use it (`config.role`); the guard enforces
// it on the server before the route runs: not logged in, a page redirects to the login and a POST
// is refused (401); the wrong role is refused (403). Either way nothing runs or changes.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import cookie from "@fastify/cookie";
import csrf from "@fastify/csrf-protection";
import { isClientError, type AnswerError } from "../platform/plugins/errors.js";
import type { ConsoleDeps } from "./deps.js";
import { HTML_HEADERS, renderDocument } from "../platform/page.js";
import { CONSOLE_PATH, Layout, languageOf, sendPage, STYLE_SHEET_PATH } from "./page.js";
import { LAYOUT_WORDS } from "./words.js";
import { CONSOLE_CSS } from "./assets/style.js";
import { LOGIN_PATH, loginRoutes, sessionToken } from "./login/routes.js";
import { todayRoutes } from "./today/routes.js";
import { counterRoutes } from "./counter/routes.js";
import { memberRoutes } from "./members/routes.js";
import { settingsRoutes } from "./settings/routes.js";
import { cardRoutes } from "./cards/routes.js";
import { dataRoutes } from "./data/routes.js";

/** A page of words only: a refusal, an error. */
const notice = (text: string) => <p>{text}</p>;

/**
 * Errors of a console route answer a page: an expired or missing CSRF token (403), a request
 * Fastify refused, or a 500. Made without the reply, so without forms (no CSRF token).
 */
const answerConsoleError: AnswerError = (err, request) => {
  const lang = languageOf(request);
  const w = LAYOUT_WORDS[lang];
  const page = (status: number, title: string, text: string, expected: boolean) => ({
    status,
    expected,
    headers: HTML_HEADERS,
    body: renderDocument(
      <Layout lang={lang} title={title} user={request.consoleUser} csrf={null} message={null} path={request.url}>
        {notice(text)}
        <p>
          <a href={CONSOLE_PATH}>{w.home}</a>
        </p>
      </Layout>,
    ),
  });
  if (isClientError(err)) {
    return err.statusCode === 403
      ? page(403, w.formExpiredTitle, w.formExpiredText, true)
      : page(err.statusCode!, w.errorTitle, w.badRequestText, true);
  }
  return page(500, w.errorTitle, w.errorText, false);
};

export const consoleRoutes =
  (deps: ConsoleDeps): FastifyPluginAsync =>
  async (app) => {
    await app.register(cookie, { secret: deps.cookieSecret });
    // The CSRF secret's cookie is Strict: forms are only ever posted from the console itself.
    await app.register(csrf, {
      cookieKey: "console_csrf",
      cookieOpts: { path: CONSOLE_PATH, httpOnly: true, sameSite: "strict", signed: true },
    });
    app.decorateRequest("consoleUser", null);

    app.addHook("onRoute", (route) => {
      if (!route.config?.role) throw new Error(`console route ${String(route.method)} ${route.url} declares no role`);
      route.config = { answerError: answerConsoleError, ...route.config };
      route.schema = { hide: true, ...route.schema };
    });

    app.addHook("onRequest", async (request) => {
      const token = sessionToken(request);
      request.consoleUser = token ? await deps.consoleSessions.resume(token) : null;
    });

    /** The role guard: what `config.role` asks of the user, or the refusal page. */
    const guard = async (request: FastifyRequest, reply: FastifyReply) => {
      const role = request.routeOptions.config.role;
      if (role === "public") return;
      const w = LAYOUT_WORDS[languageOf(request)];
      const user = request.consoleUser;
      if (!user) {
        if (request.method === "GET" || request.method === "HEAD") {
          return reply.redirect(`${LOGIN_PATH}?next=${encodeURIComponent(request.url)}`, 303);
        }
        return sendPage(request, reply, {
          title: w.loginNeededTitle,
          status: 401,
          body: (
            <>
              {notice(w.loginNeededText)}
              <p>
                <a class="button" href={LOGIN_PATH}>
                  {w.toLogin}
                </a>
              </p>
            </>
          ),
        });
      }
      if (role === "owner" && user.role !== "owner") {
        return sendPage(request, reply, { title: w.forbiddenTitle, status: 403, body: notice(w.forbiddenText) });
      }
    };
    app.addHook("preHandler", guard);
    // After the guard: a POST of a user without the role is refused as such, token or not.
    app.addHook("preHandler", (request, reply, done) => (request.method === "POST" ? app.csrfProtection(request, reply, done) : done()));

    app.setNotFoundHandler((request, reply) => {
      const w = LAYOUT_WORDS[languageOf(request)];
      return sendPage(request, reply, { title: w.notFoundTitle, status: 404, body: notice(w.notFoundText) });
    });

    app.get(STYLE_SHEET_PATH.slice(CONSOLE_PATH.length), { config: { role: "public" } }, (_request, reply) =>
      reply.header("content-type", "text/css; charset=utf-8").header("cache-control", "public, max-age=3600").send(CONSOLE_CSS),
    );

    for (const area of [loginRoutes, todayRoutes, counterRoutes, memberRoutes, cardRoutes, dataRoutes, settingsRoutes])
      await app.register(area(deps));
  };
