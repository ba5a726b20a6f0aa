// A model-based test of expiry (shared/spec/expiry.md): fast-check draws random sequences of
// saves, uses, transfers, reversals, changes of the pool's period (from a first one of 1..3 days)
// and moves of the clock, runs
// them one after the other over the OPEN API on a server whose clock the test sets, and after
// every step compares the answer, every balance and every history (rows, kinds and counts) with a
// small model: credits as lots with their ends (credits without a period never end), debits from
// the lots that end first, one 소멸 row per account and moment, expired before any call on the
// account. At the end of each run `verify` must find the ledger consistent.
//
// FC_SEED=<n> replays a run that fast-check reported.
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./support/server.js";

type Store = { id: number; auth_code: string };
type Row = { content: string; count: number };

const MEMBERS = 3;
const DAY_MS = 86_400_000;
/** Noon in Seoul, the store's zone: its days end at 15:00 UTC. */
const START = Date.parse("2031-01-01T03:00:00Z");

const clock = { now: new Date(START) };
let s: TestServer;

beforeAll(async () => {
  s = await startTestServer({ TIME_ZONE: "Asia/Seoul" }, { clock: () => clock.now, webhookWorker: false });
});
afterAll(() => s?.stop());

// ---------------------------------------------------------------------------------------------
// The model.

interface Lot {
  remaining: number;
  /** When it lapses (ms); Infinity: never. */
  end: number;
  seq: number;
}
interface Account {
  lots: Lot[];
  rows: (Row & { reversed?: boolean; kind: "save" | "use" | "other" })[];
}

class Model {
  accounts: Account[] = Array.from({ length: MEMBERS }, () => ({ lots: [], rows: [] }));
  period: number | null = null;
  private seq = 0;

  balance(m: number): number {
    return this.accounts[m]!.lots.reduce((sum, l) => sum + l.remaining, 0);
  }

  /** What ended by `now` with something left: one 소멸 row per moment, oldest first. */
  expire(m: number, now: number): void {
    const a = this.accounts[m]!;
    const due = a.lots.filter((l) => l.end <= now && l.remaining > 0);
    for (const end of [...new Set(due.map((l) => l.end))].sort((x, y) => x - y)) {
      const lots = due.filter((l) => l.end === end);
      a.rows.push({ content: "소멸", count: lots.reduce((sum, l) => sum + l.remaining, 0), kind: "other" });
      for (const l of lots) l.remaining = 0;
    }
  }

  credit(m: number, n: number, now: number): void {
    const end = this.period === null ? Infinity : endOfDay(now, this.period);
    this.accounts[m]!.lots.push({ remaining: n, end, seq: this.seq++ });
  }

  debit(m: number, n: number): void {
    let left = n;
    for (const l of [...this.accounts[m]!.lots].sort((x, y) => x.end - y.end || x.seq - y.seq)) {
      const take = Math.min(l.remaining, left);
      l.remaining -= take;
      left -= take;
    }
  }
}

/** The end of the Seoul day `days` after the day of `now`: the midnight after it, 15:00 UTC. */
function endOfDay(now: number, days: number): number {
  const seoulDay = Math.floor((now + 9 * 3_600_000) / DAY_MS);
  return (seoulDay + days + 1) * DAY_MS - 9 * 3_600_000;
}

// ---------------------------------------------------------------------------------------------
// The steps.

type Step =
  | { op: "save" | "use"; m: number; n: number }
  | { op: "transfer"; m: number; to: number; n: number }
  | { op: "cancel"; m: number; pick: number }
  | { op: "period"; days: number | null }
  | { op: "clock"; days: number; at: "noon" | "before end" | "end" };

const member = fc.integer({ min: 0, max: MEMBERS - 1 });
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    arbitrary: fc.record({ op: fc.constantFrom("save" as const, "use" as const), m: member, n: fc.integer({ min: 1, max: 4 }) }),
    weight: 4,
  },
  { arbitrary: fc.record({ op: fc.constant("transfer" as const), m: member, to: member, n: fc.integer({ min: 1, max: 3 }) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant("cancel" as const), m: member, pick: fc.nat(20) }), weight: 1 },
  {
    arbitrary: fc.record({ op: fc.constant("period" as const), days: fc.option(fc.integer({ min: 1, max: 3 }), { nil: null }) }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      op: fc.constant("clock" as const),
      days: fc.integer({ min: 0, max: 2 }),
      at: fc.constantFrom("noon" as const, "before end" as const, "end" as const),
    }),
    weight: 2,
  },
);

let run = 0;

it("random saves, uses, transfers, reversals, periods and days agree with the model, and verify stays clean", async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.array(step, { minLength: 15, maxLength: 40 }), async (period, steps) => {
      run++;
      clock.now = new Date(START);
      const store: Store = await s.services.stores.create({ name: "Model", unit: "point", dailyLimit: 100_000_000, expiryDays: period });
      const phone = (m: number) => `010-${String(4000 + run).padStart(4, "0")}-${String(m).padStart(4, "0")}`;
      const call = (path: string, params: Record<string, string | number>) =>
        s.form(`/api/open/${path}`, { id: store.id, auth_code: store.auth_code, device: "openapi", ...params });
      const model = new Model();
      model.period = period;
      // Every member has an account from the start (a save of 1).
      for (let m = 0; m < MEMBERS; m++) {
        expect(await call("save", { number: phone(m), count: 1 })).toMatchObject({ result: true });
        model.credit(m, 1, START);
        model.accounts[m]!.rows.push({ content: "적립", count: 1, kind: "save" });
      }

      for (const st of steps) {
        const now = clock.now.getTime();
        if (st.op === "clock") {
          const day = now + st.days * DAY_MS;
          const noon = Math.floor((day - START) / DAY_MS) * DAY_MS + START;
          const end = noon + 12 * 3_600_000;
          const next = { noon, "before end": end - 1, end }[st.at];
          clock.now = new Date(Math.max(now, next));
          continue;
        }
        if (st.op === "period") {
          await s.services.stores.set(store.id, { expiryDays: st.days });
          model.period = st.days;
          continue;
        }
        if (st.op === "save" || st.op === "use") {
          model.expire(st.m, now);
          const ok = st.op === "save" || model.balance(st.m) >= st.n;
          const answer = await call(st.op, { number: phone(st.m), count: st.n });
          if (!ok) expect(answer).toMatchObject({ result: false, code: "INSUFFICIENT_BALANCE" });
          else {
            if (st.op === "save") model.credit(st.m, st.n, now);
            else model.debit(st.m, st.n);
            model.accounts[st.m]!.rows.push({ content: st.op === "save" ? "적립" : "차감", count: st.n, kind: st.op });
            expect(answer).toMatchObject({ result: true, total_point: model.balance(st.m) });
          }
        } else if (st.op === "transfer") {
          for (const m of [...new Set([st.m, st.to])].sort()) model.expire(m, now);
          const answer = await call("transfer", { number: phone(st.m), to_number: phone(st.to), count: st.n });
          if (st.m === st.to) expect(answer).toMatchObject({ result: false, code: "INVALID_PARAM" });
          else if (model.balance(st.m) < st.n) expect(answer).toMatchObject({ result: false, code: "INSUFFICIENT_BALANCE" });
          else {
            model.debit(st.m, st.n);
            model.credit(st.to, st.n, now);
            model.accounts[st.m]!.rows.push({ content: "양도", count: st.n, kind: "other" });
            model.accounts[st.to]!.rows.push({ content: "양도", count: st.n, kind: "other" });
            expect(answer).toMatchObject({ result: true, total_point: model.balance(st.m), to_total_point: model.balance(st.to) });
          }
        } else if (st.op === "cancel") {
          const a = model.accounts[st.m]!;
          const candidates = a.rows.map((r, i) => ({ r, i })).filter(({ r }) => r.kind !== "other");
          const { r, i } = candidates[st.pick % candidates.length]!;
          const history = (await call("history", { number: phone(st.m), count: 100 })).list as { id: number }[];
          model.expire(st.m, now);
          const id = history[history.length - 1 - i]!.id;
          const answer = await call("cancel", { number: phone(st.m), history_id: id });
          if (r.reversed) expect(answer).toMatchObject({ result: false, code: "ALREADY_REVERSED" });
          else if (r.kind === "save" && model.balance(st.m) < r.count)
            expect(answer).toMatchObject({ result: false, code: "INSUFFICIENT_BALANCE" });
          else {
            if (r.kind === "save") model.debit(st.m, r.count);
            else model.credit(st.m, r.count, now);
            r.reversed = true;
            a.rows.push({ content: "취소", count: r.count, kind: "other" });
            expect(answer).toMatchObject({ result: true, total_point: model.balance(st.m) });
          }
        }
        // Every balance and history, read now (a read expires what is due, as the model does).
        for (let m = 0; m < MEMBERS; m++) {
          model.expire(m, clock.now.getTime());
          expect(await call("balance", { number: phone(m) })).toMatchObject({ total_count: model.balance(m) });
          const list = (await call("history", { number: phone(m), count: 100 })).list as Row[];
          expect(list.map((x) => [x.content, x.count]).reverse()).toEqual(model.accounts[m]!.rows.map((x) => [x.content, x.count]));
        }
      }
      expect(await s.services.verify()).toMatchObject({ ok: true, problems: [] });
    }),
    { numRuns: 12, ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {}) },
  );
});
