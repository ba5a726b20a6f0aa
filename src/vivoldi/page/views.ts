// The stamp page's HTML: semantic, one column, readable at 360 px, usable with a keyboard and a
// screen reader (labels, headings, live messages), working without any script. Every value goes
// through the escaping `html` template.
import { unreachable } from "../../platform/errors.js";
import type { StampPayloadV1 } from "../payload.js";
import type { Unusable } from "../../ledger/stamps.js";
import { html, type Html, type Part } from "./html.js";
import type { Words } from "./i18n.js";
import type { Language } from "../../platform/i18n.js";

export const STYLE_SHEET_PATH = "/static/stamp-page.css";

/** More slots than this are not drawn (the count says it all). */
const MOST_SLOTS_DRAWN = 50;

export interface Message {
  text: string;
  error: boolean;
}

function layout(lang: Language, title: string, body: Part): string {
  return html`<!doctype html>
    <html lang="${lang}">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>${title}</title>
        <link rel="stylesheet" href="${STYLE_SHEET_PATH}" />
      </head>
      <body>
        <main>${body}</main>
      </body>
    </html> `.text;
}

/** Errors interrupt (alert); confirmations wait their turn (status). Present and empty otherwise. */
function messageBox(m: Message | null): Html {
  if (m?.error) return html`<p class="message error" role="alert">${m.text}</p>`;
  return html`<p class="message" role="status">${m?.text}</p>`;
}

/** A page with a heading, words and maybe a link: not found, an expired form, an error. */
export function notice(lang: Language, title: string, text: string, link?: { href: string; label: string }): string {
  return layout(
    lang,
    title,
    html`<div class="card">
      <header><h1>${title}</h1></header>
      <div class="body">
        <p>${text}</p>
        ${link && html`<a class="button secondary" href="${link.href}">${link.label}</a>`}
      </div>
    </div>`,
  );
}

export interface PinPageInput {
  lang: Language;
  w: Words;
  /** "set": the first visit; "enter": a PIN is set. */
  mode: "set" | "enter";
  action: string;
  csrfToken: string;
  message: Message | null;
}

/** The PIN form; it shows nothing of the card. */
export function pinPage(p: PinPageInput): string {
  const { w } = p;
  const title = p.mode === "set" ? w.setPinTitle : w.enterPinTitle;
  const pinInput = (id: string, name: string, testId: string) =>
    html`<input
      id="${id}"
      name="${name}"
      type="password"
      inputmode="numeric"
      pattern="[0-9]{4,6}"
      minlength="4"
      maxlength="6"
      autocomplete="${p.mode === "set" ? "new-password" : "current-password"}"
      required
      data-testid="${testId}"
    />`;
  return layout(
    p.lang,
    title,
    html`<div class="card">
      <header><h1>${title}</h1></header>
      <div class="body">
        <p>${p.mode === "set" ? w.setPinHelp : w.enterPinHelp}</p>
        ${messageBox(p.message)}
        <form method="post" action="${p.action}">
          <input type="hidden" name="_csrf" value="${p.csrfToken}" />
          <label for="pin">${w.pinLabel}</label>
          ${pinInput("pin", "pin", "pin-input")}
          ${
            p.mode === "set" &&
            html`<label for="pin-confirm">${w.pinConfirmLabel}</label> ${pinInput("pin-confirm", "pinConfirm", "pin-confirm")}`
          }
          <button type="submit" data-testid="pin-submit">${p.mode === "set" ? w.setPinButton : w.enterPinButton}</button>
        </form>
      </div>
    </div>`,
  );
}

export interface CardPageInput {
  lang: Language;
  w: Words;
  stamp: StampPayloadV1;
  /** Why the stamp is not usable now, if it is not. */
  unusable: Unusable | null;
  /** The stamp image to draw. */
  imageSrc: string;
  /** Where the on-site form posts; null: no on-site stamping now. */
  onsiteAction: string | null;
  csrfToken: string;
  message: Message | null;
}

/** The card's state in words, and whether it is good news. */
function stateOf(p: CardPageInput): { text: string; good: boolean } | null {
  const { w, stamp } = p;
  switch (p.unusable) {
    case "inactive":
      return { text: w.inactive, good: false };
    case "not_started":
      return { text: w.notStarted(stamp.strtYmd), good: false };
    case "expired":
      return { text: w.expired(stamp.endYmd), good: false };
    case "already_used":
      return { text: w.used, good: false };
    case null:
      return stamp.stamps >= stamp.maxStamps ? { text: w.full, good: true } : null;
    default:
      return unreachable(p.unusable);
  }
}

/** Only http(s) links become the card's button (never javascript: and the like). */
function webLink(url: string | null): string | null {
  if (!url) return null;
  try {
    return ["http:", "https:"].includes(new URL(url).protocol) ? url : null;
  } catch {
    return null;
  }
}

export function cardPage(p: CardPageInput): string {
  const { w, stamp } = p;
  const state = stateOf(p);
  const link = webLink(stamp.url);
  const slots =
    stamp.maxStamps <= MOST_SLOTS_DRAWN &&
    html`<ol class="slots" aria-hidden="true">
      ${Array.from({ length: stamp.maxStamps }, (_, i) =>
        i < stamp.stamps
          ? html`<li><img src="${p.imageSrc}" alt="" width="64" height="64" referrerpolicy="no-referrer" /></li>`
          : html`<li class="empty">${i + 1}</li>`,
      )}
    </ol>`;
  return layout(
    p.lang,
    stamp.cardNm,
    html`<article class="card" aria-labelledby="card-name">
      <header>
        <h1 id="card-name">${stamp.cardNm}</h1>
        <p>${stamp.cardTtl}</p>
      </header>
      <div class="body">
        ${messageBox(p.message)} ${state && html`<p class="state${state.good ? " good" : ""}">${state.text}</p>`}
        <section aria-labelledby="stamps-heading">
          <h2 id="stamps-heading">${w.stampsHeading}</h2>
          <p class="count"><span data-testid="stamp-count">${stamp.stamps} / ${stamp.maxStamps}</span></p>
          ${slots}
        </section>
        <p class="dates">
          ${w.validity}: <time datetime="${stamp.strtYmd}">${stamp.strtYmd}</time> – <time datetime="${stamp.endYmd}">${stamp.endYmd}</time>
        </p>
        ${link && html`<a class="button secondary" href="${link}" rel="noopener noreferrer">${w.linkButton}</a>`}
        ${
          p.onsiteAction &&
          html`<section class="staff" aria-labelledby="staff-heading">
            <h2 id="staff-heading">${w.staffHeading}</h2>
            <form method="post" action="${p.onsiteAction}">
              <input type="hidden" name="_csrf" value="${p.csrfToken}" />
              <label for="onsite-password">${w.onsiteLabel}</label>
              <input id="onsite-password" name="password" type="password" autocomplete="off" required data-testid="onsite-password" />
              <button type="submit" data-testid="onsite-submit">${w.onsiteButton}</button>
            </form>
          </section>`
        }
      </div>
    </article>`,
  );
}
