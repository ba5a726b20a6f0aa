// The stamp cards' components: the list of card templates, a card's form, the issue form, and the
// rows of the stamps issued, each with its QR code.
import type { CardDetail, CardView } from "../../vivoldi/cards.js";
import type { StoreStamp } from "../../vivoldi/service.js";
import { CONSOLE_PATH, type PageContext } from "../page.js";
import { CsrfField } from "../../platform/page.js";
import { CARD_FORM_FIELDS, type CardFormField, type CardWords, type StampState } from "./words.js";

export const CARDS_PATH = `${CONSOLE_PATH}/cards`;
export const cardPath = (cardIdx: number, q?: string) => `${CARDS_PATH}/${cardIdx}${q ? `?q=${encodeURIComponent(q)}` : ""}`;
const stampPath = (cardIdx: number, stampIdx: number, action: string) => `${CARDS_PATH}/${cardIdx}/stamps/${stampIdx}/${action}`;
/** The QR code of a stamp's page, an SVG image of its own: a page lists many, and the browser fetches those it shows. */
export const QR_FILE = "qr.svg";

/** How long an issued card is valid, in months from today; the form's default first. */
export const VALIDITY_MONTHS = [12, 1, 3, 6, 24] as const;

/** Up to this many stamps a card shows as circles; a larger card shows its count only. */
const MAX_DOTS = 30;

/** A card form's values as typed (a card's own, or a refused form's). */
export type CardDraft = Record<CardFormField, string>;

export const draftOf = (c: CardDetail): CardDraft => ({
  name: c.cardNm,
  title: c.cardTtl,
  maxStamps: String(c.maxStamps),
  url: c.url ?? "",
  image: c.stampImgUrl ?? "",
  onsitePwd: c.onsitePwd ?? "",
});

export const EMPTY_DRAFT: CardDraft = { name: "", title: "", maxStamps: "10", url: "", image: "", onsitePwd: "" };

/** A card field's input, of the field's type (the maximum a number, the links URLs). */
function FieldInput({
  field,
  ...common
}: { field: CardFormField; id: string; name: string; value: string; required: boolean } & Record<string, unknown>) {
  if (field === "maxStamps") return <input type="number" inputmode="numeric" min={1} max={1000} {...common} />;
  if (field === "url" || field === "image") return <input type="url" inputmode="url" {...common} />;
  return <input type="text" {...common} />;
}

/** A card's fields, as a new card or an edit; `wrong` marks the fields a refused form had wrong. */
export function CardForm(p: { ctx: PageContext; w: CardWords; action: string; draft: CardDraft; wrong: CardFormField[]; submit: string }) {
  const id = (f: CardFormField) => `card-${f}`;
  return (
    <form method="post" action={p.action}>
      <CsrfField csrf={p.ctx.csrf} />
      {CARD_FORM_FIELDS.map((f) => {
        const { label, help } = p.w.cardFields[f];
        const wrong = p.wrong.includes(f);
        const described = [help && `${id(f)}-help`, wrong && `${id(f)}-error`].filter(Boolean).join(" ");
        return (
          <div key={f}>
            <label for={id(f)}>{label}</label>
            <FieldInput
              field={f}
              id={id(f)}
              name={f}
              value={p.draft[f]}
              required={f === "name" || f === "title" || f === "maxStamps"}
              autocomplete="off"
              aria-invalid={wrong || undefined}
              aria-describedby={described || undefined}
              data-testid={`card-${f}`}
            />
            {help && (
              <p id={`${id(f)}-help`} class="help">
                {help}
              </p>
            )}
            {wrong && (
              <p id={`${id(f)}-error`} class="field-error">
                {p.w.cardRules[f]}
              </p>
            )}
          </div>
        );
      })}
      <button type="submit" data-testid="card-submit">
        {p.submit}
      </button>
    </form>
  );
}

/** The card templates of the store, each a link to its page. */
export function CardList({ w, cards }: { w: CardWords; cards: CardView[] }) {
  if (!cards.length) return <p>{w.noCards}</p>;
  return (
    <ul class="rows">
      {cards.map((c) => (
        <li key={c.cardIdx} class="row" data-testid="card-row">
          <a href={cardPath(c.cardIdx)} class="row-title">
            {c.cardNm}
          </a>
          <span>{c.cardTtl}</span>
          <span class="tags">
            <span class="tag">{w.maxStampsShort(c.maxStamps)}</span>
            {c.onsiteYn === "Y" && <span class="tag">{w.onsite}</span>}
            {c.activeYn === "N" && <span class="tag off">{w.inactiveCard}</span>}
          </span>
        </li>
      ))}
    </ul>
  );
}

/** Issue the card to a customer: the phone, an optional name, how long it is valid. */
export function IssueForm({ ctx, w, cardIdx }: { ctx: PageContext; w: CardWords; cardIdx: number }) {
  return (
    <form method="post" action={`${CARDS_PATH}/${cardIdx}/stamps`} class="panel">
      <h2>{w.issueHeading}</h2>
      <CsrfField csrf={ctx.csrf} />
      <label for="issue-phone">{w.phone}</label>
      <input
        id="issue-phone"
        name="phone"
        type="tel"
        inputmode="tel"
        autocomplete="off"
        required
        aria-describedby="issue-phone-help"
        data-testid="stamp-issue-phone"
      />
      <p id="issue-phone-help" class="help">
        {w.phoneHelp}
      </p>
      <label for="issue-name">{w.customerName}</label>
      <input id="issue-name" name="name" autocomplete="off" maxLength={100} />
      <label for="issue-months">{w.validFor}</label>
      <select id="issue-months" name="months">
        {VALIDITY_MONTHS.map((m) => (
          <option key={m} value={m}>
            {w.months(m)}
          </option>
        ))}
      </select>
      <button type="submit" data-testid="stamp-issue-submit">
        {w.issue}
      </button>
    </form>
  );
}

/** Finds the card's stamps by the digits of a phone. */
export function StampSearch({ w, cardIdx, q }: { w: CardWords; cardIdx: number; q: string }) {
  return (
    <form method="get" action={cardPath(cardIdx)} class="search" role="search">
      <label for="stamp-search">{w.search}</label>
      <input id="stamp-search" name="q" value={q} type="search" inputmode="numeric" aria-describedby="stamp-search-help" />
      <p id="stamp-search-help" class="help">
        {w.searchHelp}
      </p>
      <button type="submit" class="secondary">
        {w.searchSubmit}
      </button>{" "}
      {q && (
        <a href={cardPath(cardIdx)} class="button secondary">
          {w.showAll}
        </a>
      )}
    </form>
  );
}

/** What a stamp's row says of it on `today` (YYYY-MM-DD in the store's time zone). */
export function stateOf(s: StoreStamp, today: string): StampState {
  if (s.used) return "used";
  if (s.stamp.activeYn === "N") return "inactive";
  if (today > s.stamp.endYmd) return "expired";
  if (today < s.stamp.strtYmd) return "not_started";
  return s.stamp.stamps >= s.stamp.maxStamps ? "full" : "collecting";
}

/** A form of one button on a stamp, which returns to the list as it was (`q`). */
function StampAction(p: {
  ctx: PageContext;
  path: string;
  q: string;
  label: string;
  testid: string;
  secondary?: boolean;
  fields?: Record<string, string>;
}) {
  return (
    <form method="post" action={p.path} class="inline">
      <CsrfField csrf={p.ctx.csrf} />
      <input type="hidden" name="q" value={p.q} />
      {Object.entries(p.fields ?? {}).map(([name, value]) => (
        <input key={name} type="hidden" name={name} value={value} />
      ))}
      <button type="submit" class={p.secondary ? "secondary" : undefined} data-testid={p.testid}>
        {p.label}
      </button>
    </form>
  );
}

/** One issued stamp: its QR code, customer, count, validity and state, and what may be done with it. */
export function StampRow(p: { ctx: PageContext; w: CardWords; s: StoreStamp; today: string; q: string }) {
  const { stamp } = p.s;
  const { w } = p;
  const state = stateOf(p.s, p.today);
  const who = stamp.userPhnno ?? stamp.userId;
  const owner = p.ctx.user.role === "owner";
  const action = (a: string) => stampPath(stamp.cardIdx, stamp.stampIdx, a);
  return (
    <li class="row stamp" id={`stamp-${stamp.stampIdx}`} data-testid="stamp-row" data-stamp-idx={stamp.stampIdx}>
      {/* The image links to itself, larger; never to the customer's page, whose first visitor sets its PIN. */}
      <a class="qr" href={action(QR_FILE)}>
        <img src={action(QR_FILE)} alt={w.qrLabel(who)} width={144} height={144} loading="lazy" data-testid="stamp-qr" />
      </a>
      <div class="stamp-body">
        <p class="row-title">
          {who}
          {stamp.userNm && ` · ${stamp.userNm}`} <small>{w.stampNo(stamp.stampIdx)}</small>
        </p>
        <p>
          {stamp.maxStamps <= MAX_DOTS && (
            <span class="dots" aria-hidden="true">
              {"●".repeat(stamp.stamps)}
              {"○".repeat(stamp.maxStamps - stamp.stamps)}
            </span>
          )}{" "}
          <strong data-testid="stamp-count">{w.count(stamp.stamps, stamp.maxStamps)}</strong>
        </p>
        <p>
          <span class={`tag state-${state}`} data-testid="stamp-state">
            {w.states[state]}
          </span>{" "}
          {w.validUntil(stamp.endYmd)}
        </p>
        <p class="url" data-testid="stamp-url">
          {stamp.stampUrl}
        </p>
        <div class="actions">
          {state === "collecting" && (
            <StampAction
              ctx={p.ctx}
              path={action("add")}
              q={p.q}
              label={w.addStamp}
              testid="stamp-add"
              fields={{ stamps: String(stamp.stamps) }}
            />
          )}
          {state === "full" && <StampAction ctx={p.ctx} path={action("redeem")} q={p.q} label={w.redeem} testid="stamp-redeem" />}
          {owner && state !== "used" && (
            <StampAction
              ctx={p.ctx}
              path={action("active")}
              q={p.q}
              label={stamp.activeYn === "Y" ? w.deactivateStamp : w.activateStamp}
              testid="stamp-active"
              secondary
              fields={{ active: stamp.activeYn === "Y" ? "false" : "true" }}
            />
          )}
        </div>
      </div>
    </li>
  );
}
