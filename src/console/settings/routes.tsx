// `/console/settings`, the owner's (shared/spec/console.md, "settings"): stamp API keys (a new
// one shown once; revoke), the webhook URL and its recent deliveries, the store's staff (add,
// remove), and the daily limit with today's calls and the store's time zone, which only the
// operator changes. Everything goes through the services the operator's commands use, limited to
// the owner's store. A secret (a key, a password, a signing secret) is shown on the POST's own
// answer, once; every other POST redirects back with its message.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { ComponentChildren } from "preact";
import { z } from "zod";
import { ConflictError, InvalidArgumentError, NotFoundError } from "../../platform/errors.js";
import type { ConsoleDeps } from "../deps.js";
import { dayIn } from "../format.js";
import { flash, pageContext, sendPage, type PageContext } from "../page.js";
import { KeysSection, LimitSection, SecretShown, SETTINGS_PATH, UsersSection, WebhookSection } from "./sections.js";
import { SETTINGS_WORDS, type SettingsWords } from "./words.js";

const ownerRoute = { config: { role: "owner" as const } };
/** Webhook events listed on the page. */
const DELIVERIES_SHOWN = 10;

const loginForm = z.object({ login: z.string().catch("") }).catch({ login: "" });
const labelForm = z.object({ label: z.string().trim().max(100).catch("") }).catch({ label: "" });
const keyForm = z.object({ id: z.coerce.number().int().positive().catch(0) }).catch({ id: 0 });
const urlForm = z.object({ url: z.string().trim().catch("") }).catch({ url: "" });

export const settingsRoutes =
  (deps: ConsoleDeps): FastifyPluginAsync =>
  async (app) => {
    const words = (request: FastifyRequest, reply: FastifyReply) => {
      const ctx = pageContext(request, reply);
      return { ctx, w: SETTINGS_WORDS[ctx.lang], store: ctx.user.storeId };
    };
    const back = (reply: FastifyReply, kind: "ok" | "error", text: string) => flash(reply, { kind, text }).redirect(SETTINGS_PATH, 303);
    /** The answer of a POST that made a secret: the secret, once, and the way back. */
    const showSecret = (
      request: FastifyRequest,
      reply: FastifyReply,
      ctx: PageContext,
      w: SettingsWords,
      done: string,
      body: ComponentChildren,
    ) => {
      ctx.message = { kind: "ok", text: done };
      return sendPage(request, reply, { title: w.title, status: 201, body });
    };

    app.get("/settings", ownerRoute, async (request, reply) => {
      const { ctx, w, store } = words(request, reply);
      const storeView = await deps.stores.get(store);
      // The store's own zone, else the server's: the day of its calls, and the one shown.
      const timeZone = storeView.time_zone ?? deps.timeZone;
      const [keys, hook, deliveries, users, callsToday] = await Promise.all([
        deps.apiKeys.list(store),
        deps.webhooks.show(store),
        deps.webhooks.deliveries(store, DELIVERIES_SHOWN),
        deps.consoleUsers.list(store),
        deps.stores.callsOn(store, dayIn(timeZone, deps.clock())),
      ]);
      const section = { ctx, w, timeZone };
      return sendPage(request, reply, {
        title: w.title,
        body: (
          <>
            <UsersSection {...section} users={users} />
            <KeysSection {...section} keys={keys} />
            <WebhookSection {...section} hook={hook} deliveries={deliveries} />
            <LimitSection {...section} dailyLimit={storeView.daily_limit} callsToday={callsToday} />
          </>
        ),
      });
    });

    app.post("/settings/users", ownerRoute, async (request, reply) => {
      const { ctx, w, store } = words(request, reply);
      const { login } = loginForm.parse(request.body);
      try {
        const created = await deps.consoleUsers.create({ store, login, role: "staff" });
        return showSecret(
          request,
          reply,
          ctx,
          w,
          w.staffAdded(created.login),
          <SecretShown w={w} intro={w.passwordOnce} secret={created.password} testId="user-password" />,
        );
      } catch (err) {
        if (err instanceof ConflictError) return back(reply, "error", w.loginTaken(login));
        if (err instanceof InvalidArgumentError) return back(reply, "error", w.loginFormat);
        throw err;
      }
    });

    app.post("/settings/users/remove", ownerRoute, async (request, reply) => {
      const { w, store } = words(request, reply);
      const { login } = loginForm.parse(request.body);
      try {
        const removed = await deps.consoleUsers.remove(login, { store, role: "staff" });
        return back(reply, "ok", w.staffRemoved(removed.login));
      } catch (err) {
        if (err instanceof NotFoundError) return back(reply, "error", w.userNotFound);
        throw err;
      }
    });

    app.post("/settings/api-keys", ownerRoute, async (request, reply) => {
      const { ctx, w, store } = words(request, reply);
      const { label } = labelForm.parse(request.body);
      const created = await deps.apiKeys.create({ store, label: label || undefined });
      return showSecret(
        request,
        reply,
        ctx,
        w,
        w.keyCreated,
        <SecretShown w={w} intro={w.keyOnce} secret={created.key} testId="apikey-secret" />,
      );
    });

    app.post("/settings/api-keys/revoke", ownerRoute, async (request, reply) => {
      const { w, store } = words(request, reply);
      const { id } = keyForm.parse(request.body);
      try {
        const revoked = await deps.apiKeys.revoke(id, store);
        return back(reply, "ok", w.keyRevoked(revoked.prefix));
      } catch (err) {
        if (err instanceof NotFoundError) return back(reply, "error", w.keyNotFound);
        throw err;
      }
    });

    app.post("/settings/webhook", ownerRoute, async (request, reply) => {
      const { ctx, w, store } = words(request, reply);
      const { url } = urlForm.parse(request.body);
      try {
        const set = await deps.webhooks.set(store, url);
        return showSecret(
          request,
          reply,
          ctx,
          w,
          w.webhookSaved,
          <SecretShown w={w} intro={w.webhookSecretOnce} secret={set.secret} testId="webhook-secret" />,
        );
      } catch (err) {
        // The service words its refusals for the command line (`--url: ...`).
        if (err instanceof InvalidArgumentError) return back(reply, "error", w.webhookRefused(err.message.replace(/^--url: /, "")));
        throw err;
      }
    });

    app.post("/settings/webhook/clear", ownerRoute, async (request, reply) => {
      const { w, store } = words(request, reply);
      await deps.webhooks.clear(store);
      return back(reply, "ok", w.webhookCleared);
    });
  };
