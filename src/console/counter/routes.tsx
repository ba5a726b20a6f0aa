// `/console/counter`: Stampang's tablet flow. Staff (or the customer) type the phone number on a
// large number pad, choose the count (1 by default) and save; the page after it shows the
// customer's new balance in large type. A phone new to the store's pool is registered by the save,
// as the OPEN API's save does: it is the same call (MemberService.save).
import type { FastifyPluginAsync } from "fastify";
import { z } from "zod";
import { normalizeMobile } from "../../platform/phone.js";
import { recordId } from "../../platform/input.js";
import type { ConsoleDeps } from "../deps.js";
import { CONSOLE_PATH, pageContext, sendPage, type PageContext } from "../page.js";
import { changeThenReturn, formCount, formKey, FormError } from "../members/change.js";
import { MemberService, type MemberSummary } from "../members/service.js";
import { ChangeFields, CountInput, memberPath, NumberField } from "../members/views.js";
import { MEMBER_WORDS } from "../members/words.js";
import { COUNTER_SCRIPT } from "./pad.js";
import { COUNTER_WORDS, type CounterWords } from "./words.js";

const COUNTER_PATH = `${CONSOLE_PATH}/counter`;
export const COUNTER_SCRIPT_PATH = `${CONSOLE_PATH}/assets/counter.js`;

const savedQuery = z.object({ member: recordId.optional().catch(undefined) }).catch({});
const phoneForm = z.object({ phone: z.string() });

const PAD_KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "back"] as const;

function Pad({ w }: { w: CounterWords }) {
  const label = (key: (typeof PAD_KEYS)[number]) => (key === "back" ? "⌫" : key === "clear" ? "C" : key);
  return (
    <div class="pad" role="group" aria-label={w.pad} data-script hidden>
      {PAD_KEYS.map((key) => (
        <button
          type="button"
          key={key}
          class={key === "back" || key === "clear" ? "secondary" : undefined}
          data-key={key}
          aria-label={key === "back" ? w.back : key === "clear" ? w.clear : undefined}
        >
          {label(key)}
        </button>
      ))}
    </div>
  );
}

function CounterForm({ ctx, w }: { ctx: PageContext; w: CounterWords }) {
  return (
    <form method="post" action={COUNTER_PATH} class="panel counter">
      <ChangeFields ctx={ctx} />
      <NumberField id="counter-phone" name="phone" label={w.phone} help={w.phoneHelp} large />
      <Pad w={w} />
      <label for="counter-count">{w.count}</label>
      <div class="count-row">
        <button type="button" class="secondary" data-step="-1" aria-label={w.fewer} data-script hidden>
          −
        </button>
        <CountInput id="counter-count" />
        <button type="button" class="secondary" data-step="1" aria-label={w.more} data-script hidden>
          +
        </button>
      </div>
      <button type="submit" class="wide" data-testid="counter-save">
        {w.save}
      </button>
    </form>
  );
}

function SavedMember({ w, member, unit }: { w: CounterWords; member: MemberSummary; unit: string }) {
  return (
    <section class="panel saved" aria-label={w.balance}>
      <p class="member-phone">{member.phone}</p>
      <p class="big-balance">
        <span class="label">{w.balance}</span> <strong data-testid="counter-balance">{member.balance}</strong>{" "}
        <span class="unit">{unit}</span>
      </p>
      <p>
        <a href={memberPath(member.memberNo)}>{w.openMember}</a>
      </p>
    </section>
  );
}

export const counterRoutes =
  (deps: ConsoleDeps): FastifyPluginAsync =>
  async (app) => {
    const members = new MemberService(deps);

    app.get(COUNTER_SCRIPT_PATH.slice(CONSOLE_PATH.length), { config: { role: "public" } }, (_request, reply) =>
      reply.header("content-type", "text/javascript; charset=utf-8").header("cache-control", "public, max-age=3600").send(COUNTER_SCRIPT),
    );

    app.get("/counter", { config: { role: "staff" } }, async (request, reply) => {
      const ctx = pageContext(request, reply);
      const w = COUNTER_WORDS[ctx.lang];
      const { member: memberNo } = savedQuery.parse(request.query);
      const saved = memberNo === undefined ? null : await members.summary(ctx.user, { memberNo });
      return sendPage(request, reply, {
        title: w.title,
        body: (
          <>
            {saved && <SavedMember w={w} member={saved} unit={MEMBER_WORDS[ctx.lang].unit[saved.unit]} />}
            <CounterForm ctx={ctx} w={w} />
            <script src={COUNTER_SCRIPT_PATH} defer />
          </>
        ),
      });
    });

    app.post("/counter", { config: { role: "staff" } }, async (request, reply) => {
      const user = request.consoleUser!;
      // After a save, the counter shows the customer's balance.
      let savedTo = COUNTER_PATH;
      return changeThenReturn(
        reply,
        () => savedTo,
        async (w) => {
          const form = phoneForm.safeParse(request.body);
          const phone = form.success ? normalizeMobile(form.data.phone, deps.phones) : null;
          if (!phone) throw new FormError((w) => w.refusals.invalid_phone);
          const count = formCount(request.body);
          const done = await members.save(user, { phone }, count, formKey(request.body));
          savedTo = `${COUNTER_PATH}?member=${done.memberNo}`;
          return w.saved(count, await members.unit(user), done.balance);
        },
      );
    });
  };
