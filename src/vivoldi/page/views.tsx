// The stamp page's HTML: semantic, one column, readable at 360 px, usable with a keyboard and a
// screen reader (labels, headings, live messages), working without any script. Each page is a
// component in the platform's Document (src/platform/page.tsx); JSX escapes every value.
import type { ComponentChildren } from "preact";
import { unreachable } from "../../platform/errors.js";
import { CsrfField, Document } from "../../platform/page.js";
import type { StampPayloadV1 } from "../payload.js";
import type { Unusable } from "../../ledger/stamps.js";
import type { Words } from "./i18n.js";
import type { Language } from "../../platform/i18n.js";

export const STYLE_SHEET_PATH = "/static/stamp-page.css";

/** More slots than this are not drawn (the count says it all). */
const MOST_SLOTS_DRAWN = 50;

export interface Message {
  text: string;
  error: boolean;
}

function Layout({ lang, title, children }: { lang: Language; title: string; children: ComponentChildren }) {
  return (
    <Document lang={lang} title={title} styleSheet={STYLE_SHEET_PATH}>
      <main>{children}</main>
    </Document>
  );
}

/** Errors interrupt (alert); confirmations wait their turn (status). Present and empty otherwise. */
function MessageBox({ message }: { message: Message | null }) {
  if (message?.error) {
    return (
      <p class="message error" role="alert">
        {message.text}
      </p>
    );
  }
  return (
    <p class="message" role="status">
      {message?.text}
    </p>
  );
}

export interface NoticeProps {
  lang: Language;
  title: string;
  text: string;
  link?: { href: string; label: string };
}

/** A page with a heading, words and maybe a link: not found, an expired form, an error. */
export function Notice({ lang, title, text, link }: NoticeProps) {
  return (
    <Layout lang={lang} title={title}>
      <div class="card">
        <header>
          <h1>{title}</h1>
        </header>
        <div class="body">
          <p>{text}</p>
          {link && (
            <a class="button secondary" href={link.href}>
              {link.label}
            </a>
          )}
        </div>
      </div>
    </Layout>
  );
}

export interface PinPageProps {
  lang: Language;
  w: Words;
  /** "set": the first visit; "enter": a PIN is set. */
  mode: "set" | "enter";
  action: string;
  csrfToken: string;
  message: Message | null;
}

/** A PIN field: digits only, a new password on the first visit, the current one later. */
function PinInput({ id, name, testId, mode }: { id: string; name: string; testId: string; mode: PinPageProps["mode"] }) {
  return (
    <input
      id={id}
      name={name}
      type="password"
      inputmode="numeric"
      pattern="[0-9]{4,6}"
      minlength={4}
      maxlength={6}
      autocomplete={mode === "set" ? "new-password" : "current-password"}
      required
      data-testid={testId}
    />
  );
}

/** The PIN form; it shows nothing of the card. */
export function PinPage(p: PinPageProps) {
  const { w } = p;
  const title = p.mode === "set" ? w.setPinTitle : w.enterPinTitle;
  return (
    <Layout lang={p.lang} title={title}>
      <div class="card">
        <header>
          <h1>{title}</h1>
        </header>
        <div class="body">
          <p>{p.mode === "set" ? w.setPinHelp : w.enterPinHelp}</p>
          <MessageBox message={p.message} />
          <form method="post" action={p.action}>
            <CsrfField csrf={p.csrfToken} />
            <label for="pin">{w.pinLabel}</label>
            <PinInput id="pin" name="pin" testId="pin-input" mode={p.mode} />
            {p.mode === "set" && (
              <>
                <label for="pin-confirm">{w.pinConfirmLabel}</label>
                <PinInput id="pin-confirm" name="pinConfirm" testId="pin-confirm" mode={p.mode} />
              </>
            )}
            <button type="submit" data-testid="pin-submit">
              {p.mode === "set" ? w.setPinButton : w.enterPinButton}
            </button>
          </form>
        </div>
      </div>
    </Layout>
  );
}

export interface CardPageProps {
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
function stateOf(p: CardPageProps): { text: string; good: boolean } | null {
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

/** One slot per stamp the card takes, the collected ones with the stamp image. */
function Slots({ stamp, imageSrc }: { stamp: StampPayloadV1; imageSrc: string }) {
  return (
    <ol class="slots" aria-hidden="true">
      {Array.from({ length: stamp.maxStamps }, (_, i) =>
        i < stamp.stamps ? (
          <li>
            <img src={imageSrc} alt="" width={64} height={64} referrerpolicy="no-referrer" />
          </li>
        ) : (
          <li class="empty">{i + 1}</li>
        ),
      )}
    </ol>
  );
}

export function CardPage(p: CardPageProps) {
  const { w, stamp } = p;
  const state = stateOf(p);
  const link = webLink(stamp.url);
  return (
    <Layout lang={p.lang} title={stamp.cardNm}>
      <article class="card" aria-labelledby="card-name">
        <header>
          <h1 id="card-name">{stamp.cardNm}</h1>
          <p>{stamp.cardTtl}</p>
        </header>
        <div class="body">
          <MessageBox message={p.message} />
          {state && <p class={state.good ? "state good" : "state"}>{state.text}</p>}
          <section aria-labelledby="stamps-heading">
            <h2 id="stamps-heading">{w.stampsHeading}</h2>
            <p class="count">
              <span data-testid="stamp-count">
                {stamp.stamps} / {stamp.maxStamps}
              </span>
            </p>
            {stamp.maxStamps <= MOST_SLOTS_DRAWN && <Slots stamp={stamp} imageSrc={p.imageSrc} />}
          </section>
          <p class="dates">
            {w.validity}: <time datetime={stamp.strtYmd}>{stamp.strtYmd}</time> – <time datetime={stamp.endYmd}>{stamp.endYmd}</time>
          </p>
          {link && (
            <a class="button secondary" href={link} rel="noopener noreferrer">
              {w.linkButton}
            </a>
          )}
          {p.onsiteAction && (
            <section class="staff" aria-labelledby="staff-heading">
              <h2 id="staff-heading">{w.staffHeading}</h2>
              <form method="post" action={p.onsiteAction}>
                <CsrfField csrf={p.csrfToken} />
                <label for="onsite-password">{w.onsiteLabel}</label>
                <input id="onsite-password" name="password" type="password" autocomplete="off" required data-testid="onsite-password" />
                <button type="submit" data-testid="onsite-submit">
                  {w.onsiteButton}
                </button>
              </form>
            </section>
          )}
        </div>
      </article>
    </Layout>
  );
}
