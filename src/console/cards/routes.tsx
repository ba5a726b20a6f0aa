// `/console/cards`: the store's stamp cards. Anyone logged in sees the cards, issues a card to a
// customer by phone, adds stamps and redeems; the owner also creates, edits and deactivates cards
// and deactivates a customer's card. Every change goes through CardService and StampService (the
// stamp API's ledger functions, by the store's id) and answers with Post/Redirect/Get.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { nulPath, recordId } from "../../platform/input.js";
import { displayPhone, normalizeMobile } from "../../platform/phone.js";
import { CARD_RULES } from "../../vivoldi/cards.js";
import type { ConsoleActor } from "../../vivoldi/service.js";
import { storeTimeZone, type Access, type ConsoleDeps } from "../deps.js";
import { flash, pageContext, sendPage, type Message, type PageContext } from "../page.js";
import { CsrfField } from "../../platform/page.js";
import { qrSvg } from "./qr.js";
import {
  CardForm,
  CardList,
  cardPath,
  CARDS_PATH,
  draftOf,
  EMPTY_DRAFT,
  IssueForm,
  QR_FILE,
  StampRow,
  StampSearch,
  VALIDITY_MONTHS,
  type CardDraft,
} from "./views.js";
import { CARD_FORM_FIELDS, CARD_WORDS, type CardFormField, type CardWords } from "./words.js";
import { badRequest } from "../requests.js";
import { dayIn } from "../format.js";

/** The newest stamps a card's page lists (each with its QR code); others are found by phone. */
const STAMPS_SHOWN = 20;

const staffRoute = { config: { role: "staff" as const } };
const ownerRoute = { config: { role: "owner" as const } };

/** Empty: not given. */
const blankToUndefined = (v: unknown) => (v === "" ? undefined : v);

const cardForm = z.object({
  name: CARD_RULES.name,
  title: CARD_RULES.title,
  maxStamps: CARD_RULES.maxStamps,
  url: z.preprocess(blankToUndefined, CARD_RULES.url.optional()),
  image: z.preprocess(blankToUndefined, CARD_RULES.image.optional()),
  onsitePwd: z.preprocess(blankToUndefined, CARD_RULES.onsitePwd.optional()),
});

/** The digits of a phone to find a card's stamps by; anything else is ignored. */
const searchQuery = z.object({ q: z.string().catch("") }).catch({ q: "" });
const backTo = z.object({ q: z.string().catch("") }).catch({ q: "" });
const cardParams = z.object({ cardIdx: recordId });
const stampParams = z.object({ cardIdx: recordId, stampIdx: recordId });
const addForm = z.object({ stamps: z.coerce.number().int().min(0) });
const activeForm = z.object({ active: z.enum(["true", "false"]).transform((v) => v === "true") });
const issueForm = z.object({
  phone: z.string().catch(""),
  name: z.string().max(100).catch(""),
  months: z.coerce
    .number()
    .refine((m) => (VALIDITY_MONTHS as readonly number[]).includes(m))
    .catch(VALIDITY_MONTHS[0]),
});

const digitsOf = (q: string) => q.replace(/\D/g, "");

/** A card form's values as typed, each a string (what a refused form shows again). */
function draftFrom(body: unknown): CardDraft {
  const fields = (body && typeof body === "object" ? body : {}) as Record<string, unknown>;
  return Object.fromEntries(CARD_FORM_FIELDS.map((f) => [f, typeof fields[f] === "string" ? fields[f] : ""])) as CardDraft;
}

/** The card form's fields, or the fields it has wrong (a NUL character makes a field wrong too). */
function parseCard(body: unknown) {
  const parsed = cardForm.safeParse(body);
  const nul = nulPath(body);
  const wrong = new Set<CardFormField>();
  if (!parsed.success) for (const issue of parsed.error.issues) wrong.add(issue.path[0] as CardFormField);
  if (nul && (CARD_FORM_FIELDS as readonly unknown[]).includes(nul[0])) wrong.add(nul[0] as CardFormField);
  return wrong.size || !parsed.success ? { wrong: [...wrong] } : { card: parsed.data };
}

export const cardRoutes =
  (deps: ConsoleDeps): FastifyPluginAsync =>
  async (app) => {
    const words = (request: FastifyRequest, reply: FastifyReply) => {
      const ctx = pageContext(request, reply);
      return { ctx, w: CARD_WORDS[ctx.lang] };
    };
    const back = (reply: FastifyReply, path: string, message: Message) => flash(reply, message).redirect(path, 303);
    const actor = (ctx: PageContext) => ({ storeId: ctx.user.storeId, login: ctx.user.login });

    /** The list of cards and, for the owner, the new card's form (again with `wrong` fields after a refusal). */
    const showCards = async (request: FastifyRequest, reply: FastifyReply, refused?: { draft: CardDraft; wrong: CardFormField[] }) => {
      const { ctx, w } = words(request, reply);
      const cards = await deps.cards.list(ctx.user.storeId);
      if (refused) ctx.message = { kind: "error", text: w.checkFields };
      return sendPage(request, reply, {
        title: w.title,
        status: refused ? 400 : 200,
        body: (
          <>
            <CardList w={w} cards={cards} />
            {ctx.user.role === "owner" && (
              <details class="panel" open={!!refused || !cards.length}>
                <summary>{w.newCard}</summary>
                <CardForm
                  ctx={ctx}
                  w={w}
                  action={CARDS_PATH}
                  draft={refused?.draft ?? EMPTY_DRAFT}
                  wrong={refused?.wrong ?? []}
                  submit={w.create}
                />
              </details>
            )}
          </>
        ),
      });
    };

    /** A card's page: its issue form, its newest stamps (or those of a phone) and, for the owner, its edit form. */
    const showCard = async (
      request: FastifyRequest,
      reply: FastifyReply,
      cardIdx: number,
      refused?: { draft: CardDraft; wrong: CardFormField[] },
    ) => {
      const { ctx, w } = words(request, reply);
      const card = await deps.cards.get(ctx.user.storeId, cardIdx);
      if (!card) return reply.callNotFound();
      const { q } = searchQuery.parse(request.query);
      const phoneDigits = digitsOf(q) || undefined;
      const stamps = await deps.stamps.listOfStore(ctx.user.storeId, { cardIdx, phoneDigits, limit: STAMPS_SHOWN });
      const today = dayIn(await storeTimeZone(deps, ctx.user.storeId), deps.clock());
      if (refused) ctx.message = { kind: "error", text: w.checkFields };
      return sendPage(request, reply, {
        title: card.cardNm,
        status: refused ? 400 : 200,
        body: (
          <>
            <p>
              {card.cardTtl} · {w.maxStampsShort(card.maxStamps)}
              {card.onsiteYn === "Y" && ` · ${w.onsite}`}
            </p>
            {card.activeYn === "N" ? <p class="notice">{w.inactiveCardText}</p> : <IssueForm ctx={ctx} w={w} cardIdx={cardIdx} />}
            <section aria-labelledby="stamps-heading">
              <h2 id="stamps-heading">{w.stampsHeading}</h2>
              <StampSearch w={w} cardIdx={cardIdx} q={q} />
              {stamps.length ? (
                <ul class="rows">
                  {stamps.map((s) => (
                    <StampRow key={s.stamp.stampIdx} ctx={ctx} w={w} s={s} today={today} q={q} />
                  ))}
                </ul>
              ) : (
                <p>{w.noStamps}</p>
              )}
              {stamps.length === STAMPS_SHOWN && <p class="help">{w.newestShown(STAMPS_SHOWN)}</p>}
            </section>
            {ctx.user.role === "owner" && (
              <details class="panel" open={!!refused}>
                <summary data-testid="card-edit">{w.edit}</summary>
                <CardForm
                  ctx={ctx}
                  w={w}
                  action={cardPath(cardIdx)}
                  draft={refused?.draft ?? draftOf(card)}
                  wrong={refused?.wrong ?? []}
                  submit={w.save}
                />
                <form method="post" action={`${cardPath(cardIdx)}/active`}>
                  <CsrfField csrf={ctx.csrf} />
                  <input type="hidden" name="active" value={card.activeYn === "Y" ? "false" : "true"} />
                  <button type="submit" class="secondary" data-testid="card-active">
                    {card.activeYn === "Y" ? w.deactivate : w.activate}
                  </button>
                </form>
              </details>
            )}
          </>
        ),
      });
    };

    /** The route's ids, or null after answering the not-found page. */
    const idsOf = <S extends z.ZodType>(schema: S, request: FastifyRequest, reply: FastifyReply): z.infer<S> | null => {
      const parsed = schema.safeParse(request.params);
      if (parsed.success) return parsed.data;
      reply.callNotFound();
      return null;
    };

    app.get("/cards", staffRoute, (request, reply) => showCards(request, reply));

    app.post("/cards", ownerRoute, async (request, reply) => {
      const { ctx, w } = words(request, reply);
      const parsed = parseCard(request.body);
      if (!parsed.card) return showCards(request, reply, { draft: draftFrom(request.body), wrong: parsed.wrong });
      const card = await deps.cards.create({ store: ctx.user.storeId, ...parsed.card });
      return back(reply, cardPath(card.cardIdx), { kind: "ok", text: w.cardCreated(card.cardNm) });
    });

    app.get("/cards/:cardIdx", staffRoute, async (request, reply) => {
      const ids = idsOf(cardParams, request, reply);
      return ids && showCard(request, reply, ids.cardIdx);
    });

    app.post("/cards/:cardIdx", ownerRoute, async (request, reply) => {
      const ids = idsOf(cardParams, request, reply);
      if (!ids) return;
      const { ctx, w } = words(request, reply);
      const parsed = parseCard(request.body);
      if (!parsed.card) return showCard(request, reply, ids.cardIdx, { draft: draftFrom(request.body), wrong: parsed.wrong });
      const { name, title, maxStamps, url, image, onsitePwd } = parsed.card;
      const edit = { name, title, maxStamps, url: url ?? null, image: image ?? null, onsitePassword: onsitePwd ?? null };
      const done = await deps.cards.update(ctx.user.storeId, ids.cardIdx, edit);
      if (done.status === "card_not_found") return reply.callNotFound();
      const message: Message =
        done.status === "ok" ? { kind: "ok", text: w.cardSaved } : { kind: "error", text: w.aboveNewMaximum(done.stampsAbove) };
      return back(reply, cardPath(ids.cardIdx), message);
    });

    app.post("/cards/:cardIdx/active", ownerRoute, async (request, reply) => {
      const ids = idsOf(cardParams, request, reply);
      if (!ids) return;
      const { ctx, w } = words(request, reply);
      const form = activeForm.safeParse(request.body);
      if (!form.success) throw badRequest("an activation form without its field");
      if (!(await deps.cards.setActive(ctx.user.storeId, ids.cardIdx, form.data.active))) return reply.callNotFound();
      return back(reply, cardPath(ids.cardIdx), { kind: "ok", text: form.data.active ? w.cardActivated : w.cardDeactivated });
    });

    app.post("/cards/:cardIdx/stamps", staffRoute, async (request, reply) => {
      const ids = idsOf(cardParams, request, reply);
      if (!ids) return;
      const { ctx, w } = words(request, reply);
      const form = issueForm.parse(request.body ?? {});
      const e164 = normalizeMobile(form.phone, deps.phones);
      if (!e164) return back(reply, cardPath(ids.cardIdx), { kind: "error", text: w.notAPhone });
      const phone = displayPhone(e164, deps.phones);
      const issued = await deps.stamps.issueOfStore(actor(ctx), {
        cardIdx: ids.cardIdx,
        phone,
        userName: form.name.trim() || null,
        months: form.months,
      });
      // Either way the page then lists this customer's stamps of the card, the new or open one first.
      const listed = cardPath(ids.cardIdx, digitsOf(phone));
      switch (issued.status) {
        case "ok":
          return back(reply, listed, { kind: "ok", text: w.issued(phone) });
        case "already_open":
          return back(reply, listed, { kind: "error", text: w.alreadyOpen(phone, issued.stampIdx!) });
        default:
          return back(reply, cardPath(ids.cardIdx), { kind: "error", text: w.refusals[issued.status] });
      }
    });

    // A stamp's QR code: its page's address never changes, so the browser may keep the image.
    app.get(`/cards/:cardIdx/stamps/:stampIdx/${QR_FILE}`, staffRoute, async (request, reply) => {
      const ids = idsOf(stampParams, request, reply);
      if (!ids) return;
      const [listed] = await deps.stamps.listOfStore(pageContext(request, reply).user.storeId, { stampIdx: ids.stampIdx, limit: 1 });
      if (!listed) return reply.callNotFound();
      return reply
        .type("image/svg+xml")
        .header("cache-control", "private, max-age=86400")
        .send(await qrSvg(listed.stamp.stampUrl));
    });

    /** A button on a stamp: its form, then what it does, told on the card's page as it was (`q`). */
    const stampAction = <F extends z.ZodType>(
      action: string,
      role: Exclude<Access, "public">,
      form: F,
      run: (by: ConsoleActor, w: CardWords, stampIdx: number, form: z.infer<F>) => Promise<Message>,
    ) =>
      app.post(`/cards/:cardIdx/stamps/:stampIdx/${action}`, { config: { role } }, async (request, reply) => {
        const ids = idsOf(stampParams, request, reply);
        if (!ids) return;
        const { ctx, w } = words(request, reply);
        const parsed = form.safeParse(request.body);
        if (!parsed.success) throw badRequest(`a ${action} form without its fields`);
        const { q } = backTo.parse(request.body);
        return back(reply, cardPath(ids.cardIdx, q), await run(actor(ctx), w, ids.stampIdx, parsed.data));
      });

    stampAction("add", "staff", addForm, async (by, w, stampIdx, form) => {
      const { status, stamps, maxStamps } = await deps.stamps.addOfStore(by, stampIdx, form.stamps);
      if (status === "ok") return { kind: "ok", text: stamps === maxStamps ? w.addedFull(maxStamps!) : w.added(stamps!, maxStamps!) };
      return { kind: "error", text: status === "changed" ? w.changed(stamps!, maxStamps!) : w.refusals[status] };
    });

    stampAction("redeem", "staff", z.unknown(), async (by, w, stampIdx) => {
      const status = await deps.stamps.redeemOfStore(by, stampIdx);
      return status === "ok" ? { kind: "ok", text: w.redeemed } : { kind: "error", text: w.refusals[status] };
    });

    stampAction("active", "owner", activeForm, async (by, w, stampIdx, form) => {
      const status = await deps.stamps.setActiveOfStore(by, stampIdx, form.active);
      if (status !== "ok") return { kind: "error", text: w.refusals[status] };
      return { kind: "ok", text: form.active ? w.stampActivated : w.stampDeactivated };
    });
  };
