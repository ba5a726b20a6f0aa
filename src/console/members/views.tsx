// The customers' pages: the look-up form and its matches, and one customer's balance, forms and
// history. Every action is a real form, so the pages work by keyboard and without script.
import type { ComponentChildren } from "preact";
import type { StoreUnit } from "../../generated/prisma/enums.js";
import { CONSOLE_PATH, type PageContext } from "../page.js";
import { CsrfField } from "../../platform/page.js";
import { IDEMPOTENCY_FIELD } from "./change.js";
import type { HistoryRow, MemberPage, MemberSummary } from "./service.js";
import type { MemberWords } from "./words.js";

export const MEMBERS_PATH = `${CONSOLE_PATH}/members`;
export const memberPath = (memberNo: number) => `${MEMBERS_PATH}/${memberNo}`;

/** The hidden fields of a form that changes the ledger: its CSRF token and its idempotency key. */
export function ChangeFields({ ctx }: { ctx: PageContext }) {
  return (
    <>
      <CsrfField csrf={ctx.csrf} />
      <input type="hidden" name={IDEMPOTENCY_FIELD} value={ctx.idempotencyKey()} />
    </>
  );
}

/**
 * A field for a phone or member number, typed at a counter: its label, input (with `children`
 * beside it, a button) and help line.
 */
export function NumberField(p: {
  id: string;
  name: string;
  label: string;
  help: string;
  value?: string;
  /** The counter's: large, and the page's focus. */
  large?: boolean;
  children?: ComponentChildren;
}) {
  const input = (
    <input
      id={p.id}
      name={p.name}
      value={p.value}
      type="tel"
      inputmode="tel"
      autocomplete="off"
      aria-describedby={`${p.id}-help`}
      required
      autofocus={p.large}
      class={p.large ? "counter-phone" : undefined}
      placeholder={p.large ? "010-0000-0000" : undefined}
      data-testid={p.id}
    />
  );
  return (
    <>
      <label for={p.id}>{p.label}</label>
      {p.children ? (
        <div class="field-row">
          {input}
          {p.children}
        </div>
      ) : (
        input
      )}
      <p id={`${p.id}-help`} class="help">
        {p.help}
      </p>
    </>
  );
}

/** A count: a whole number of 1 or more, 1 unless changed. */
export const CountInput = ({ id }: { id: string }) => (
  <input id={id} name="count" type="number" inputmode="numeric" min={1} step={1} value="1" required data-testid={id} />
);

export function SearchForm({ w, q }: { w: MemberWords; q: string }) {
  return (
    <form method="get" action={MEMBERS_PATH} class="panel" role="search">
      <NumberField id="member-search" name="q" value={q} label={w.searchLabel} help={w.searchHelp}>
        <button type="submit" data-testid="member-search-submit">
          {w.searchSubmit}
        </button>
      </NumberField>
    </form>
  );
}

export function MemberList({ w, members, unit }: { w: MemberWords; members: MemberSummary[]; unit: StoreUnit }) {
  return (
    <ul class="members">
      {members.map((m) => (
        <li key={m.memberNo} data-testid="member-row">
          <a href={memberPath(m.memberNo)}>
            <span class="member-phone">{m.phone}</span>
            <span class="member-no">
              {w.memberNo} {m.memberNo}
            </span>
            <span class="member-balance">
              {w.balance} <strong>{w.amount(m.balance, unit)}</strong>
            </span>
            <span class="member-visit">
              {w.lastVisit} {m.lastVisit ?? w.never}
            </span>
          </a>
        </li>
      ))}
    </ul>
  );
}

/** A count field and its button, posting to `action`. */
function CountForm(p: { ctx: PageContext; action: string; name: "save" | "use"; label: string; submit: string }) {
  const id = `${p.name}-count`;
  return (
    <form method="post" action={p.action} class="change">
      <ChangeFields ctx={p.ctx} />
      <label for={id}>{p.label}</label>
      <CountInput id={id} />
      <button type="submit" class={p.name === "use" ? "wide secondary" : "wide"} data-testid={`${p.name}-submit`}>
        {p.submit}
      </button>
    </form>
  );
}

function TransferForm({ ctx, w, action }: { ctx: PageContext; w: MemberWords; action: string }) {
  return (
    <form method="post" action={action}>
      <ChangeFields ctx={ctx} />
      <NumberField id="transfer-to" name="to" label={w.transferTo} help={w.transferToHelp} />
      <label for="transfer-count">{w.count}</label>
      <div class="field-row">
        <CountInput id="transfer-count" />
        <button type="submit" class="secondary" data-testid="transfer-submit">
          {w.transferSubmit}
        </button>
      </div>
    </form>
  );
}

/** Who made a row: its console user, else the operator (an import), nobody (an expiry) or the API. */
function madeBy(row: HistoryRow, w: MemberWords): string {
  if (row.consoleLogin !== null) return row.consoleLogin;
  if (row.kind === "import") return w.byOperator;
  return row.kind === "expire" ? w.byExpiry : w.byApi;
}

function HistoryItem({ ctx, w, row, memberNo }: { ctx: PageContext; w: MemberWords; row: HistoryRow; memberNo: number }) {
  const what = w.kinds[row.kind] ?? row.kind;
  const cancelled = (row.kind === "save" || row.kind === "use") && !row.cancellable;
  return (
    <li data-testid="history-row" data-id={row.id} class={cancelled ? "cancelled" : undefined}>
      <div class="history-main">
        <span class="history-kind">{what}</span>
        <strong class={row.delta < 0 ? "delta minus" : "delta"}>{row.delta > 0 ? `+${row.delta}` : row.delta}</strong>
        <span class="history-after">{w.balanceAfter(row.balanceAfter)}</span>
        {cancelled && <span class="badge">{w.cancelled}</span>}
      </div>
      <div class="history-meta">
        <time>{row.date}</time> · <span data-testid="history-place">{row.place}</span> ·{" "}
        <span data-testid="history-user">{madeBy(row, w)}</span>
      </div>
      {ctx.user.role === "owner" && row.cancellable && (
        <form method="post" action={`${memberPath(memberNo)}/cancel`} class="history-cancel">
          <ChangeFields ctx={ctx} />
          <input type="hidden" name="history_id" value={String(row.id)} />
          <button type="submit" class="link" aria-label={w.cancelLabel(what, row.date)} data-testid="history-cancel">
            {w.cancel}
          </button>
        </form>
      )}
    </li>
  );
}

export function MemberView({ ctx, w, member }: { ctx: PageContext; w: MemberWords; member: MemberPage }) {
  const path = memberPath(member.memberNo);
  return (
    <>
      <section class="panel member-head" aria-label={w.balance}>
        <p class="member-phone">{member.phone}</p>
        <p class="big-balance">
          <span class="label">{w.balance}</span> <strong data-testid="member-balance">{member.balance}</strong>{" "}
          <span class="unit">{w.unit[member.unit]}</span>
        </p>
        {member.nextExpiry && (
          <p data-testid="member-next-expiry">{w.nextExpiry(member.nextExpiry.count, member.unit, member.nextExpiry.date)}</p>
        )}
        <p class="help">{w.joined(member.joined)}</p>
      </section>
      <section class="panel change-forms" aria-label={w.changesLabel}>
        <CountForm ctx={ctx} action={`${path}/save`} name="save" label={w.saveCount(member.unit)} submit={w.saveSubmit} />
        <CountForm ctx={ctx} action={`${path}/use`} name="use" label={w.useCount(member.unit)} submit={w.useSubmit} />
      </section>
      <details class="panel">
        <summary>{w.transferHeading}</summary>
        <TransferForm ctx={ctx} w={w} action={`${path}/transfer`} />
      </details>
      <section aria-labelledby="history-heading">
        <h2 id="history-heading">
          {w.historyHeading} <small>({w.pageOf(member.page)})</small>
        </h2>
        {member.history.length === 0 ? (
          <p>{w.noHistory}</p>
        ) : (
          <ol class="history">
            {member.history.map((row) => (
              <HistoryItem key={row.id} ctx={ctx} w={w} row={row} memberNo={member.memberNo} />
            ))}
          </ol>
        )}
        <p class="pager">
          {member.page > 1 && (
            <a class="button secondary" href={`${path}?page=${member.page - 1}`} rel="prev">
              {w.newer}
            </a>
          )}
          {member.hasNextPage && (
            <a class="button secondary" href={`${path}?page=${member.page + 1}`} rel="next">
              {w.older}
            </a>
          )}
        </p>
      </section>
    </>
  );
}
