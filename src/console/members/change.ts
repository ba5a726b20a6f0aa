// A console form that changes a balance (the counter's save; a customer's save, use, transfer and
// cancel): its fields read, the change made, and its result or refusal flashed on the page the
// browser is sent back to (Post/Redirect/Get). Nothing changes unless the form is whole.
import type { FastifyReply } from "fastify";
import { z } from "zod";
import { wholeNumber } from "../../platform/input.js";
import { PointsError } from "../../stampang/answers.js";
import { flash, languageOf } from "../page.js";
import { MEMBER_WORDS, type MemberWords } from "./words.js";

/** The form's idempotency key (PageContext.idempotencyKey): a double-tap sends it twice, and saves once. */
export const IDEMPOTENCY_FIELD = "idempotency_key";

const keyed = z.object({ [IDEMPOTENCY_FIELD]: z.string().regex(/^[\x21-\x7e]{1,255}$/) });
const counted = z.object({ count: wholeNumber(1) });

/** A form is not right: what to tell, from the words. */
export class FormError extends Error {
  override name = "FormError";
  constructor(readonly say: (w: MemberWords) => string) {
    super("form");
  }
}

/** The idempotency key of a form; a form without one is not a console page's. */
export function formKey(body: unknown): string {
  const form = keyed.safeParse(body);
  if (!form.success) throw new FormError((w) => w.badForm);
  return form.data[IDEMPOTENCY_FIELD];
}

/** The `count` of a form: a whole number of 1 or more (the store's unit bounds it further, in the ledger). */
export function formCount(body: unknown): number {
  const form = counted.safeParse(body);
  if (!form.success) throw new FormError((w) => w.badCount);
  return form.data.count;
}

/**
 * Runs `change` and redirects to `back()` (asked once the change is done, or refused) with what
 * it did, or with why it was refused: a bad form, or the ledger's refusal (PointsError), in the
 * user's words; `shortage` says why a balance was too small (a change that takes from one has it).
 * Other errors are the error page's.
 */
export async function changeThenReturn(
  reply: FastifyReply,
  back: () => string,
  change: (w: MemberWords) => Promise<string>,
  shortage?: (w: MemberWords) => Promise<string>,
): Promise<FastifyReply> {
  const w = MEMBER_WORDS[languageOf(reply.request)];
  try {
    flash(reply, { kind: "ok", text: await change(w) });
  } catch (err) {
    if (err instanceof FormError) flash(reply, { kind: "error", text: err.say(w) });
    else if (err instanceof PointsError) flash(reply, { kind: "error", text: await refusal(w, err, shortage) });
    else throw err;
  }
  return reply.redirect(back(), 303);
}

async function refusal(w: MemberWords, err: PointsError, shortage?: (w: MemberWords) => Promise<string>): Promise<string> {
  switch (err.reason) {
    case "insufficient_balance":
      if (!shortage) throw err;
      return shortage(w);
    case "invalid_param":
      return err.detail === "to_number" ? w.sameMember : w.refusals.invalid_param;
    default:
      return w.refusals[err.reason];
  }
}
