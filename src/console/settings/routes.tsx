// `/console/settings`, the owner's: the store's console users (an owner adds and removes staff).
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { ConflictError, InvalidArgumentError, NotFoundError } from "../../platform/errors.js";
import type { Language } from "../../platform/i18n.js";
import type { ConsoleDeps } from "../deps.js";
import { CONSOLE_PATH, CsrfField, flash, pageContext, sendPage, type PageContext } from "../page.js";
import type { ConsoleUserView } from "../users/service.js";
import { SETTINGS_WORDS, type SettingsWords } from "./words.js";

const SETTINGS_PATH = `${CONSOLE_PATH}/settings`;
const ownerRoute = { config: { role: "owner" as const } };
const loginField = z.object({ login: z.string().catch("") }).catch({ login: "" });

const dateTime = (lang: Language, timeZone: string, at: Date) =>
  new Intl.DateTimeFormat(lang === "ko" ? "ko-KR" : "en-GB", { timeZone, dateStyle: "medium", timeStyle: "short" }).format(at);

function UsersSection({ ctx, w, users, timeZone }: { ctx: PageContext; w: SettingsWords; users: ConsoleUserView[]; timeZone: string }) {
  return (
    <section class="panel" aria-labelledby="users-heading">
      <h2 id="users-heading">{w.usersHeading}</h2>
      <div class="table-scroll">
        <table>
          <thead>
            <tr>
              <th>{w.login}</th>
              <th>{w.role}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.id} data-testid="user-row">
                <td>
                  {u.login}
                  {u.locked_until && <small> ({w.lockedUntil(dateTime(ctx.lang, timeZone, u.locked_until))})</small>}
                </td>
                <td>{w.roles[u.role]}</td>
                <td>
                  {u.role === "staff" && (
                    <form method="post" action={`${SETTINGS_PATH}/users/remove`} class="inline">
                      <CsrfField csrf={ctx.csrf} />
                      <input type="hidden" name="login" value={u.login} />
                      <button type="submit" class="secondary" data-testid="user-remove" aria-label={`${w.remove} ${u.login}`}>
                        {w.remove}
                      </button>
                    </form>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <form method="post" action={`${SETTINGS_PATH}/users`}>
        <CsrfField csrf={ctx.csrf} />
        <label for="user-login">{w.addStaff}</label>
        <input
          id="user-login"
          name="login"
          autocomplete="off"
          autocapitalize="none"
          aria-describedby="user-login-help"
          required
          data-testid="user-login"
        />
        <p id="user-login-help">
          <small>{w.addStaffHelp}</small>
        </p>
        <button type="submit" data-testid="user-add">
          {w.addStaff}
        </button>
      </form>
    </section>
  );
}

export const settingsRoutes =
  (deps: ConsoleDeps): FastifyPluginAsync =>
  async (app) => {
    const words = (request: FastifyRequest, reply: FastifyReply) => {
      const ctx = pageContext(request, reply);
      return { ctx, w: SETTINGS_WORDS[ctx.lang] };
    };
    /** After a refused change: the settings page says why. */
    const refuse = (reply: FastifyReply, text: string) => flash(reply, { kind: "error", text }).redirect(SETTINGS_PATH, 303);

    app.get("/settings", ownerRoute, async (request, reply) => {
      const { ctx, w } = words(request, reply);
      const users = await deps.consoleUsers.list(ctx.user.storeId);
      return sendPage(request, reply, { title: w.title, body: <UsersSection ctx={ctx} w={w} users={users} timeZone={deps.timeZone} /> });
    });

    // The new password is on the answer itself, not carried over a redirect: it is shown once.
    app.post("/settings/users", ownerRoute, async (request, reply) => {
      const { ctx, w } = words(request, reply);
      const { login } = loginField.parse(request.body);
      try {
        const created = await deps.consoleUsers.create({ store: ctx.user.storeId, login, role: "staff" });
        ctx.message = { kind: "ok", text: w.staffAdded(created.login) };
        return sendPage(request, reply, {
          title: w.title,
          status: 201,
          body: (
            <section class="panel">
              <p>{w.passwordOnce}</p>
              <p class="secret" data-testid="user-password">
                {created.password}
              </p>
              <p>
                <a class="button secondary" href={SETTINGS_PATH}>
                  {w.backToSettings}
                </a>
              </p>
            </section>
          ),
        });
      } catch (err) {
        if (err instanceof ConflictError) return refuse(reply, w.loginTaken(login));
        if (err instanceof InvalidArgumentError) return refuse(reply, w.loginFormat);
        throw err;
      }
    });

    app.post("/settings/users/remove", ownerRoute, async (request, reply) => {
      const { ctx, w } = words(request, reply);
      const { login } = loginField.parse(request.body);
      try {
        const removed = await deps.consoleUsers.remove(login, { store: ctx.user.storeId, role: "staff" });
        return flash(reply, { kind: "ok", text: w.staffRemoved(removed.login) }).redirect(SETTINGS_PATH, 303);
      } catch (err) {
        if (err instanceof NotFoundError) return refuse(reply, w.userNotFound);
        throw err;
      }
    });
  };
