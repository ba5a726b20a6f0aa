// `/console`, the start page after logging in. Helper B's "today" page replaces this one.
import type { FastifyPluginAsync } from "fastify";
import type { ConsoleDeps } from "../deps.js";
import { pageContext, sendPage } from "../page.js";
import { LAYOUT_WORDS } from "../words.js";

export const todayRoutes =
  (_deps: ConsoleDeps): FastifyPluginAsync =>
  async (app) => {
    app.get("/", { config: { role: "staff" } }, async (request, reply) => {
      const { user, lang } = pageContext(request, reply);
      return sendPage(request, reply, { title: LAYOUT_WORDS[lang].nav.today, body: <p>{user.storeName}</p> });
    });
  };
