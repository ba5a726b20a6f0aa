// `/console/members?q=` finds customers of the user's pool; `/console/members/<member_no>` shows
// one, with forms to save, use and transfer, and for owners a cancel on each row that the OPEN
// API's 취소 may reverse. The rules are MemberService's and the ledger's; a staff user's cancel is
// refused by the role guard (src/console/routes.tsx) before it runs.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { recordId, wholeNumber } from "../../platform/input.js";
import type { MemberRef } from "../../ledger/types.js";
import type { ConsoleDeps } from "../deps.js";
import { pageContext, sendPage } from "../page.js";
import type { ConsoleUser } from "../users/service.js";
import { changeThenReturn, formCount, formKey, FormError } from "./change.js";
import { MemberService, parseMemberQuery, parseMemberRef } from "./service.js";
import { MemberList, MemberView, MEMBERS_PATH, memberPath, SearchForm } from "./views.js";
import { MEMBER_WORDS, type MemberWords } from "./words.js";

const searchQuery = z.object({ q: z.string().catch("") }).catch({ q: "" });
const pageQuery = z.object({ page: wholeNumber(1, 1_000_000).catch(1) }).catch({ page: 1 });
const transferForm = z.object({ to: z.string() });
const cancelForm = z.object({ history_id: recordId });

type MemberRequest = FastifyRequest<{ Params: { memberNo: string } }>;

export const memberRoutes =
  (deps: ConsoleDeps): FastifyPluginAsync =>
  async (app) => {
    const members = new MemberService(deps);

    /** A customer's page is "not found" for a number the user's pool does not know, as for one never seen. */
    const notFound = (request: FastifyRequest, reply: FastifyReply) => {
      const w = MEMBER_WORDS[pageContext(request, reply).lang];
      return sendPage(request, reply, {
        title: w.notFoundTitle,
        status: 404,
        body: (
          <>
            <p>{w.notFoundText}</p>
            <p>
              <a href={MEMBERS_PATH}>{w.backToSearch}</a>
            </p>
          </>
        ),
      });
    };

    app.get("/members", { config: { role: "staff" } }, async (request, reply) => {
      const ctx = pageContext(request, reply);
      const w = MEMBER_WORDS[ctx.lang];
      const { q } = searchQuery.parse(request.query);
      const query = q.trim() === "" ? null : parseMemberQuery(q, deps.phones);
      const found = query ? await members.search(ctx.user, query) : [];
      return sendPage(request, reply, {
        title: w.title,
        body: (
          <>
            <SearchForm w={w} q={q} />
            {q.trim() !== "" && found.length === 0 && (
              <p role="status" class="help">
                {query ? w.noMatch : w.badQuery}
              </p>
            )}
            {found.length > 0 && <MemberList w={w} members={found} unit={await members.unit(ctx.user)} />}
          </>
        ),
      });
    });

    app.get("/members/:memberNo", { config: { role: "staff" } }, async (request: MemberRequest, reply) => {
      const ctx = pageContext(request, reply);
      const memberNo = recordId.safeParse(request.params.memberNo);
      const { page } = pageQuery.parse(request.query);
      const member = memberNo.success ? await members.member(ctx.user, memberNo.data, page) : null;
      if (!member) return notFound(request, reply);
      const w = MEMBER_WORDS[ctx.lang];
      return sendPage(request, reply, { title: w.memberTitle(member.memberNo), body: <MemberView ctx={ctx} w={w} member={member} /> });
    });

    /**
     * A form of a customer's page: `run` makes the change and says what it did; a balance too
     * small is said by `shortage` (by default: the balance now). Back to the customer's page.
     */
    const change = (
      action: string,
      role: "staff" | "owner",
      run: (user: ConsoleUser, member: MemberRef, body: unknown, w: MemberWords) => Promise<string>,
      shortage?: (w: MemberWords) => string,
    ) =>
      app.post(`/members/:memberNo/${action}`, { config: { role } }, async (request: MemberRequest, reply) => {
        const memberNo = recordId.safeParse(request.params.memberNo);
        if (!memberNo.success) return notFound(request, reply);
        const user = request.consoleUser!;
        const member = { memberNo: memberNo.data };
        return changeThenReturn(
          reply,
          () => memberPath(memberNo.data),
          (w) => run(user, member, request.body, w),
          async (w) => {
            if (shortage) return shortage(w);
            const now = await members.summary(user, member);
            return now ? w.insufficient(now.balance, now.unit) : w.refusals.member_not_found;
          },
        );
      });

    change("save", "staff", async (user, member, body, w) => {
      const count = formCount(body);
      const done = await members.save(user, member, count, formKey(body));
      return w.saved(count, await members.unit(user), done.balance);
    });

    change("use", "staff", async (user, member, body, w) => {
      const count = formCount(body);
      const done = await members.use(user, member, count, formKey(body));
      return w.used(count, await members.unit(user), done.balance);
    });

    change("transfer", "staff", async (user, member, body, w) => {
      const form = transferForm.safeParse(body);
      const to = form.success ? parseMemberRef(form.data.to, deps.phones) : null;
      if (!to) throw new FormError((w) => w.badPhone);
      const count = formCount(body);
      const done = await members.transfer(user, member, to, count, formKey(body));
      return w.transferred(count, await members.unit(user), done.to.memberNo, done.balance);
    });

    change(
      "cancel",
      "owner",
      async (user, member, body, w) => {
        const form = cancelForm.safeParse(body);
        if (!form.success) throw new FormError((w) => w.badForm);
        const done = await members.cancel(user, member, form.data.history_id, formKey(body));
        return w.reversed(done.balance, await members.unit(user));
      },
      (w) => w.spent,
    );
  };
