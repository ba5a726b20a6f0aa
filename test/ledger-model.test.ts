// A model-based test of the ledger (issue 15, item 4): fast-check draws random sequences of
// batches, each batch 1..4 calls sent at once by several clients: the OPEN API's save, use,
// transfer and cancel (with idempotency keys, fresh and reused) and the stamp API's add, remove
// and redeem. After every batch its answers must be those of the batch run one call after the
// other, in some order, against a small in-memory model of the balances, the history rows and the
// stamps (for a batch of one call: exactly the model's answer); the balances, histories and stamps
// read back must be the model's; and at the end of each run `verify` (GET /admin/verify, what
// `stampd verify` runs) finds the ledger consistent. Everything goes over HTTP (inject), so the
// test holds any implementation of the ledger to the same answers. Group commit is on, one batch
// in flight, so that the saves and uses sent at once share commits (issue 19); the run checks that
// some did.
//
// FC_SEED=<n> replays a run that fast-check reported (it prints the seed of a failure).
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./support/server.js";
import { dayFromToday, stampClient, type StampAnswer, type StampCall } from "./support/stamp-client.js";

const ADMIN_TOKEN = "model-admin-token-0123456789";
/** Far above what a run calls, so that neither API's limits ever refuse a call. */
const NO_LIMITS = { dailyLimit: 100_000_000, plan: "personal", limitMinute: 100_000_000, limitHour: 100_000_000, limitDay: 100_000_000 };
/** A small card, so that runs reach full, empty and used stamps. */
const MAX_STAMPS = 2;
const ONSITE_PASSWORD = "123456";
/** The largest integer id: no member and no history row has it. */
const NO_SUCH_ID = 2147483647;

// ---------------------------------------------------------------------------------------------
// The contracts' answers: what each call may answer besides success.

type OpenOp = "save" | "use" | "transfer" | "cancel";
type StampOp = "add" | "remove" | "redeem";

const OPEN_REFUSALS: Record<OpenOp, string[]> = {
  save: ["MEMBER_NOT_FOUND", "DUPLICATE_REQUEST"],
  use: ["MEMBER_NOT_FOUND", "INSUFFICIENT_BALANCE", "DUPLICATE_REQUEST"],
  transfer: ["MEMBER_NOT_FOUND", "INVALID_PARAM", "INSUFFICIENT_BALANCE", "DUPLICATE_REQUEST"],
  cancel: ["MEMBER_NOT_FOUND", "HISTORY_NOT_FOUND", "ALREADY_REVERSED", "INSUFFICIENT_BALANCE", "DUPLICATE_REQUEST"],
};
/** 2005 benefit already used, 2006 card full, 2007 not enough stamps, 2008 wrong on-site password. */
const STAMP_REFUSALS: Record<StampOp, number[]> = { add: [2005, 2006], remove: [2007], redeem: [2005, 2007, 2008] };
/** History `content` of each kind of row. */
const CONTENT = { save: "적립", use: "차감", transfer: "양도", reversal: "취소" };

interface OpenAnswer {
  result: boolean;
  msg: string;
  code?: string;
  member_no?: number;
  total_point?: number;
  to_member_no?: number;
  to_total_point?: number;
  /** history's rows, newest first. */
  list?: { id: number; login_id: string; place: string; type: number; count: number; content: string; date: string }[];
}

// ---------------------------------------------------------------------------------------------
// The model.

/** Members 0 and 1 are phones new to the server in each run; member 2 is known to another pool. */
const MEMBERS = 3;
const SHARED_MEMBER = 2;
const STAMPS = 2;

interface Member {
  /** Its member number, once an answer has shown it. */
  no?: number;
  /** Has an account in the run's pool: only then does the pool know it. */
  inPool: boolean;
  balance: number;
}

interface Row {
  /** Learned from the history after the batch that wrote the row. */
  id?: number;
  member: number;
  /** Index of the store that wrote it. */
  store: number;
  kind: keyof typeof CONTENT;
  delta: number;
  reversed: boolean;
}

interface Model {
  members: Member[];
  rows: Row[];
  stamps: { count: number; used: boolean }[];
  /** The answer of each idempotency key whose call succeeded, by `<store>:<key>`. */
  keys: Map<string, { fingerprint: string; answer: OpenAnswer }>;
}

/** A member as a request names it: by phone (one of three spellings) or by member number. */
type Named = { member: number; phone: string } | { no: number };

interface OpenRequest {
  api: "open";
  op: OpenOp;
  store: number;
  who: Named;
  to?: Named;
  count?: number;
  historyId?: number;
  key?: string;
  keyInHeader: boolean;
  transport: "query" | "form" | "json";
}

interface StampRequest {
  api: "stamp";
  op: StampOp;
  stamp: number;
  password?: string;
}

type Request = OpenRequest | StampRequest;

/** What the server identifies a keyed call by: the operation and its parameters. */
const fingerprint = (r: OpenRequest) =>
  [r.op, ...[r.who, r.to].map((n) => (n === undefined ? "" : "no" in n ? `no:${n.no}` : `phone:${n.member}`)), r.count, r.historyId].join(
    "|",
  );

/** The member of the pool that `named` names, if the pool knows it. */
function inPool(m: Model, named: Named): number | undefined {
  const i = "no" in named ? m.members.findIndex((x) => x.no === named.no) : named.member;
  return i >= 0 && m.members[i]!.inPool ? i : undefined;
}

type Outcome = { refusal: string } | { replay: OpenAnswer } | { member: number; balance: number; to?: { member: number; balance: number } };

/** Applies an OPEN API call to the model (when it succeeds) and returns its outcome. */
function openOutcome(m: Model, r: OpenRequest): Outcome {
  const recorded = r.key === undefined ? undefined : m.keys.get(`${r.store}:${r.key}`);
  if (recorded) return recorded.fingerprint === fingerprint(r) ? { replay: recorded.answer } : { refusal: "DUPLICATE_REQUEST" };
  const write = (member: number, kind: Row["kind"], delta: number) => {
    m.members[member]!.balance += delta;
    m.rows.push({ member, store: r.store, kind, delta, reversed: false });
  };
  // save registers a phone new to the pool; every other call needs a member the pool knows.
  const who = r.op === "save" && "phone" in r.who ? r.who.member : inPool(m, r.who);
  if (who === undefined) return { refusal: "MEMBER_NOT_FOUND" };
  const holder = m.members[who]!;
  switch (r.op) {
    case "save":
      holder.inPool = true;
      write(who, "save", r.count!);
      break;
    case "use":
      if (holder.balance < r.count!) return { refusal: "INSUFFICIENT_BALANCE" };
      write(who, "use", -r.count!);
      break;
    case "transfer": {
      // A receiver's phone new to the pool is registered; a member number must be the pool's.
      const to = "phone" in r.to! ? r.to.member : inPool(m, r.to!);
      if (to === undefined) return { refusal: "MEMBER_NOT_FOUND" };
      if (to === who) return { refusal: "INVALID_PARAM" };
      if (holder.balance < r.count!) return { refusal: "INSUFFICIENT_BALANCE" };
      write(who, "transfer", -r.count!);
      write(to, "transfer", r.count!);
      m.members[to]!.inPool = true;
      return { member: who, balance: holder.balance, to: { member: to, balance: m.members[to]!.balance } };
    }
    case "cancel": {
      const row = m.rows.find((x) => x.id === r.historyId && x.member === who && (x.kind === "save" || x.kind === "use"));
      if (!row) return { refusal: "HISTORY_NOT_FOUND" };
      if (row.reversed) return { refusal: "ALREADY_REVERSED" };
      if (holder.balance < row.delta) return { refusal: "INSUFFICIENT_BALANCE" };
      row.reversed = true;
      write(who, "reversal", -row.delta);
      break;
    }
  }
  return { member: who, balance: holder.balance };
}

/** Applies a stamp API call to the model (when it succeeds) and returns its code. */
function stampOutcome(m: Model, r: StampRequest): number {
  const stamp = m.stamps[r.stamp]!;
  switch (r.op) {
    case "add":
      if (stamp.used) return 2005;
      if (stamp.count >= MAX_STAMPS) return 2006;
      stamp.count++;
      return 0;
    case "remove":
      // An admin correction: allowed on a used stamp too, never below 0.
      if (stamp.count === 0) return 2007;
      stamp.count--;
      return 0;
    case "redeem":
      if (stamp.used) return 2005;
      if (r.password !== ONSITE_PASSWORD) return 2008;
      if (stamp.count < MAX_STAMPS) return 2007;
      stamp.used = true;
      return 0;
  }
}

/**
 * Whether `member` may have member number `no`: the one the model knows, or, for a member it has
 * not seen numbered yet, any number no other member has (then learned).
 */
function numbered(m: Model, member: number, no: number | undefined): boolean {
  const known = m.members[member]!.no;
  if (known !== undefined) return known === no;
  if (!Number.isInteger(no) || no! < 1 || m.members.some((x) => x.no === no)) return false;
  m.members[member]!.no = no;
  return true;
}

/** Runs one call on the model and tells whether the server's answer is the model's. */
function agrees(m: Model, r: Request, answer: OpenAnswer | StampAnswer): boolean {
  if (r.api === "stamp") return stampOutcome(m, r) === (answer as StampAnswer).code;
  const a = answer as OpenAnswer;
  const out = openOutcome(m, r);
  if ("refusal" in out) return a.code === out.refusal;
  if ("replay" in out) return isDeepStrictEqual(a, out.replay);
  const same =
    a.result &&
    a.total_point === out.balance &&
    numbered(m, out.member, a.member_no) &&
    (!out.to || (a.to_total_point === out.to.balance && numbered(m, out.to.member, a.to_member_no)));
  if (same && r.key !== undefined) m.keys.set(`${r.store}:${r.key}`, { fingerprint: fingerprint(r), answer: a });
  return same;
}

function* permutations(n: number, prefix: number[] = []): Generator<number[]> {
  if (prefix.length === n) yield prefix;
  for (let i = 0; i < n; i++) if (!prefix.includes(i)) yield* permutations(n, [...prefix, i]);
}

/** The model after the batch run in an order that gives the server's answers, if there is one. */
function serialized(m: Model, requests: Request[], answers: (OpenAnswer | StampAnswer)[]): Model | undefined {
  for (const order of permutations(requests.length)) {
    const after = structuredClone(m);
    if (order.every((i) => agrees(after, requests[i]!, answers[i]!))) return after;
  }
  return undefined;
}

/** Whether the answer is one the contract allows for the call: success or one of its refusals. */
function allowed(r: Request, answer: OpenAnswer | StampAnswer): boolean {
  if (r.api === "stamp") {
    const a = answer as StampAnswer;
    return a.status === 200 && a.result === null && (a.code === 0 ? a.message === "" : STAMP_REFUSALS[r.op].includes(a.code));
  }
  const a = answer as OpenAnswer;
  if (!a.result) return typeof a.msg === "string" && OPEN_REFUSALS[r.op].includes(a.code!) && Object.keys(a).length === 3;
  const numbers = ["member_no", "total_point", ...(r.op === "transfer" ? ["to_member_no", "to_total_point"] : [])];
  return (
    a.msg === "ok" &&
    isDeepStrictEqual(Object.keys(a).sort(), ["msg", "result", ...numbers].sort()) &&
    numbers.every((f) => Number.isInteger(a[f as keyof OpenAnswer]))
  );
}

// ---------------------------------------------------------------------------------------------
// The commands fast-check draws: abstract, resolved against the model when their batch is sent.

type KeyChoice = { use: "none" } | { use: "fresh" } | { use: "again" | "clash"; pick: number };
interface MemberChoice {
  member: number;
  byNumber: boolean;
  spelling: number;
}
interface RowChoice {
  of: "own" | "reversed" | "any" | "foreign";
  pick: number;
}
interface OpenFields {
  store: number;
  who: MemberChoice;
  key: KeyChoice;
  keyInHeader: boolean;
  transport: number;
}
type Command =
  | (OpenFields & { op: "save" | "use"; count: number })
  | (OpenFields & { op: "transfer"; to: MemberChoice; count: number })
  | (OpenFields & { op: "cancel"; row: RowChoice })
  | { op: StampOp; stamp: number; rightPassword: boolean };

const weighted = <T>(...choices: [number, fc.Arbitrary<T>][]) => fc.oneof(...choices.map(([weight, arbitrary]) => ({ weight, arbitrary })));
const memberChoice = fc.record({
  member: fc.nat({ max: MEMBERS - 1 }),
  byNumber: weighted([3, fc.constant(false)], [1, fc.constant(true)]),
  spelling: fc.nat({ max: 2 }),
});
const keyChoice = weighted<KeyChoice>(
  [6, fc.constant({ use: "none" as const })],
  [2, fc.constant({ use: "fresh" as const })],
  [1, fc.record({ use: fc.constant("again" as const), pick: fc.nat() })],
  [1, fc.record({ use: fc.constant("clash" as const), pick: fc.nat() })],
);
const openFields = {
  store: fc.nat({ max: 1 }),
  who: memberChoice,
  key: keyChoice,
  keyInHeader: fc.boolean(),
  transport: fc.nat({ max: 2 }),
};
const count = fc.integer({ min: 1, max: 4 });
const command: fc.Arbitrary<Command> = weighted<Command>(
  [4, fc.record({ op: fc.constant("save" as const), count, ...openFields })],
  [3, fc.record({ op: fc.constant("use" as const), count, ...openFields })],
  [3, fc.record({ op: fc.constant("transfer" as const), to: memberChoice, count, ...openFields })],
  [
    3,
    fc.record({
      op: fc.constant("cancel" as const),
      row: fc.record({
        of: fc.constantFrom<RowChoice["of"]>("own", "own", "own", "reversed", "any", "foreign"),
        pick: fc.nat(),
      }),
      ...openFields,
    }),
  ],
  [
    4,
    fc.record({
      op: fc.constantFrom<StampOp>("add", "add", "add", "remove", "redeem", "redeem"),
      stamp: fc.nat({ max: STAMPS - 1 }),
      rightPassword: weighted([4, fc.constant(true)], [1, fc.constant(false)]),
    }),
  ],
);
/** A run: up to 15 batches, half of them of one call (answered exactly as the model says), the others of 2..4 calls sent at once. */
const runs = fc.array(
  weighted([1, fc.array(command, { minLength: 1, maxLength: 1 })], [1, fc.array(command, { minLength: 2, maxLength: 4 })]),
  { minLength: 1, maxLength: 15 },
);

// ---------------------------------------------------------------------------------------------
// The server, and one fresh pool of two stores, a card and its stamps per run.

let s: TestServer;
let runNo = 0;
/** The shared member's number, and a history row of another pool (each run's pool must not see it). */
let shared: { phone: string; no: number; foreignRow: number };

interface Store {
  id: number;
  auth_code: string;
  login_id: string;
}

interface World {
  stores: Store[];
  phones: string[];
  stamp: StampCall;
  stamps: number[];
  /** Keyed requests sent so far, for retries and clashes. */
  keyed: OpenRequest[];
  nextKey: number;
}

async function admin(method: "GET" | "POST", url: string, body?: object): Promise<any> {
  const res = await s.app.inject({ method, url, headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, payload: body });
  if (res.statusCode !== 200 && res.statusCode !== 201) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
  return res.json();
}

/** A mobile number new to the server: 010-8RRR-RRRM for member M of run R. */
const newPhone = (run: number, member: number) => `010${80_000_000 + run * 10 + member}`;
/** Three spellings of one phone: the server must take them for one customer. */
const spell = (phone: string, spelling: number) =>
  [phone, `${phone.slice(0, 3)}-${phone.slice(3, 7)}-${phone.slice(7)}`, `+82 ${phone.slice(1, 3)}-${phone.slice(3, 7)}-${phone.slice(7)}`][
    spelling
  ]!;

async function openWorld(): Promise<{ world: World; model: Model }> {
  const run = ++runNo;
  const head: Store = await admin("POST", "/admin/stores", { name: "Model", loginId: `model${run}`, ...NO_LIMITS });
  const branch: Store = await admin("POST", "/admin/stores", {
    name: "Model",
    branch: "Branch",
    loginId: `model${run}b`,
    pool: head.id,
    ...NO_LIMITS,
  });
  const stamp = stampClient(s, (await admin("POST", "/admin/api-keys", { store: head.id, plan: "personal" })).key);
  const card = await admin("POST", "/admin/cards", {
    store: head.id,
    name: "Latte",
    title: "2 stamps",
    maxStamps: MAX_STAMPS,
    onsitePwd: ONSITE_PASSWORD,
  });
  const period = { strtYmd: dayFromToday(-1, s.config.TIME_ZONE), endYmd: dayFromToday(365, s.config.TIME_ZONE) };
  const stamps: number[] = [];
  for (let i = 0; i < STAMPS; i++) stamps.push(Number((await stamp("create", { cardIdx: card.cardIdx, ...period })).result));
  const phones = Array.from({ length: MEMBERS }, (_, i) => (i === SHARED_MEMBER ? shared.phone : newPhone(run, i)));
  const members = phones.map((_, i) => ({ inPool: false, balance: 0, ...(i === SHARED_MEMBER ? { no: shared.no } : {}) }));
  return {
    world: { stores: [head, branch], phones, stamp, stamps, keyed: [], nextKey: 1 },
    model: { members, rows: [], stamps: stamps.map(() => ({ count: 0, used: false })), keys: new Map() },
  };
}

/** The request a command means now: its members, history row and key looked up in the model. */
function resolve(w: World, m: Model, c: Command): Request {
  if (!("store" in c))
    return {
      api: "stamp",
      op: c.op,
      stamp: c.stamp,
      ...(c.op === "redeem" ? { password: c.rightPassword ? ONSITE_PASSWORD : "000000" } : {}),
    };
  const named = (x: MemberChoice): Named =>
    x.byNumber ? { no: m.members[x.member]!.no ?? NO_SUCH_ID } : { member: x.member, phone: spell(w.phones[x.member]!, x.spelling) };
  const r: OpenRequest = {
    api: "open",
    op: c.op,
    store: c.store,
    who: named(c.who),
    keyInHeader: c.keyInHeader,
    transport: (["query", "form", "json"] as const)[c.transport]!,
  };
  if (c.op === "transfer") Object.assign(r, { to: named(c.to), count: c.count });
  else if (c.op === "cancel") r.historyId = historyId(m, c.who.member, c.row);
  else r.count = c.count;

  const earlier = "pick" in c.key && w.keyed.length > 0 ? w.keyed[c.key.pick % w.keyed.length] : undefined;
  if (c.key.use === "again" && earlier) return earlier;
  if (c.key.use === "clash" && earlier) Object.assign(r, { store: earlier.store, key: earlier.key });
  else if (c.key.use !== "none") r.key = `k${w.nextKey++}`;
  if (r.key !== undefined) w.keyed.push(r);
  return r;
}

/**
 * A row to reverse: mostly a save or use of the member's own, sometimes one reversed already, any
 * row of the pool (another member's, a transfer's, a reversal's) or one the pool cannot see.
 */
function historyId(m: Model, member: number, row: RowChoice): number {
  const own = m.rows.filter((x) => x.member === member && (x.kind === "save" || x.kind === "use"));
  const chosen = { own, reversed: own.filter((x) => x.reversed), any: m.rows, foreign: [] }[row.of];
  const candidates = chosen.length > 0 || row.of === "foreign" ? chosen : m.rows;
  if (candidates.length === 0) return [shared.foreignRow, NO_SUCH_ID][row.pick % 2]!;
  return candidates[row.pick % candidates.length]!.id!;
}

async function send(w: World, r: Request): Promise<OpenAnswer | StampAnswer> {
  if (r.api === "stamp") return w.stamp(r.op, { stampIdx: w.stamps[r.stamp]!, ...(r.password ? { onsitePwd: r.password } : {}) });
  const store = w.stores[r.store]!;
  const params: Record<string, string | number> = { id: store.id, auth_code: store.auth_code, device: "openapi" };
  const name = (n: Named, type: string, number: string) =>
    Object.assign(params, "no" in n ? { [type]: "no", [number]: n.no } : { [number]: n.phone });
  name(r.who, "type", "number");
  if (r.to) name(r.to, "to_type", "to_number");
  if (r.count !== undefined) params.count = r.count;
  if (r.historyId !== undefined) params.history_id = r.historyId;
  const headers: Record<string, string> = {};
  if (r.key !== undefined && r.keyInHeader) headers["idempotency-key"] = r.key;
  else if (r.key !== undefined) params.idempotency_key = r.key;
  return callOpen(r.op, params, r.transport, headers);
}

async function callOpen(
  path: string,
  params: Record<string, string | number>,
  transport: OpenRequest["transport"],
  headers: Record<string, string> = {},
) {
  const query = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString();
  const url = `/api/open/${path}`;
  const res =
    transport === "query"
      ? await s.app.inject({ method: "GET", url: `${url}?${query}`, headers })
      : transport === "form"
        ? await s.app.inject({
            method: "POST",
            url,
            headers: { ...headers, "content-type": "application/x-www-form-urlencoded" },
            payload: query,
          })
        : await s.app.inject({
            method: "POST",
            url,
            headers: { ...headers, "content-type": "application/json" },
            payload: JSON.stringify(params),
          });
  return res.json<OpenAnswer>();
}

/**
 * Balances and stamps as the APIs show them must be the model's, and so must the histories: those
 * with new rows (whose ids this learns), or with `everyHistory` all of them.
 */
async function expectReadBack(w: World, m: Model, everyHistory: boolean): Promise<void> {
  const lookup = (path: string, i: number, extra: Record<string, number> = {}) => {
    const { id, auth_code } = w.stores[0]!;
    return callOpen(path, { id, auth_code, device: "openapi", number: w.phones[i]!, ...extra }, "query");
  };
  const balances = await Promise.all(m.members.map((_, i) => lookup("balance", i)));
  expect(balances).toEqual(
    m.members.map((x) =>
      x.inPool
        ? { result: true, msg: "ok", member_no: x.no, total_count: x.balance }
        : { result: false, code: "MEMBER_NOT_FOUND", msg: expect.any(String) },
    ),
  );
  const validated = await Promise.all(w.stamps.map((stampIdx) => w.stamp("validate", { stampIdx })));
  expect(validated.map((v) => (v.code === 0 ? { stamps: v.result.stamps, maxStamps: v.result.maxStamps } : v.code))).toEqual(
    m.stamps.map((x) => (x.used ? 2005 : { stamps: x.count, maxStamps: MAX_STAMPS })),
  );

  const view = (x: Row) => ({
    content: CONTENT[x.kind],
    type: x.delta > 0 ? 0 : 1,
    count: Math.abs(x.delta),
    login_id: w.stores[x.store]!.login_id,
  });
  for (const [i, member] of m.members.entries()) {
    if (!member.inPool || (!everyHistory && !m.rows.some((r) => r.member === i && r.id === undefined))) continue;
    // A run writes fewer than 100 rows per member: one page holds them all.
    const { list } = await lookup("history", i, { count: 100 });
    expect(list!.map((x) => x.id)).toEqual(list!.map((x) => x.id).sort((a, b) => b - a));
    const shown = list!.map(({ id, content, type, count, login_id }) => ({ id, content, type, count, login_id }));
    const rows = m.rows.filter((x) => x.member === i);
    // The batch's new rows get their ids; rows alike in every shown field are alike to the model too.
    for (const { id, ...fields } of shown.filter((x) => !rows.some((r) => r.id === x.id))) {
      const row = rows.find((r) => r.id === undefined && isDeepStrictEqual(view(r), fields));
      if (row) row.id = id;
    }
    const byId = (a: { id?: number }, b: { id?: number }) => (a.id ?? 0) - (b.id ?? 0);
    expect(shown.sort(byId)).toEqual(rows.map((r) => ({ id: r.id, ...view(r) })).sort(byId));
  }
}

beforeAll(async () => {
  s = await startTestServer({ ADMIN_TOKEN, DB_POOL_SIZE: "8", GROUP_COMMIT_IN_FLIGHT: "1" });
  const elsewhere: Store = await admin("POST", "/admin/stores", { name: "Elsewhere", ...NO_LIMITS });
  const phone = newPhone(0, SHARED_MEMBER);
  const params = { id: elsewhere.id, auth_code: elsewhere.auth_code, device: "openapi", number: phone };
  const saved = await s.form("/api/open/save", { ...params, count: 5 });
  const [row] = (await s.form("/api/open/history", params)).list;
  shared = { phone, no: saved.member_no, foreignRow: row.id };
});
afterAll(() => s?.stop());

it("random concurrent batches of both APIs agree with a serial model, and verify stays clean", { timeout: 120_000 }, async () => {
  const property = fc.asyncProperty(runs, async (batches) => {
    const { world, model } = await openWorld();
    let m = model;
    for (const [n, batch] of batches.entries()) {
      const requests = batch.map((c) => resolve(world, m, c));
      const answers = await Promise.all(requests.map((r) => send(world, r)));
      const unexpected = answers.filter((a, i) => !allowed(requests[i]!, a));
      expect(unexpected, `answers the contract does not allow, to ${JSON.stringify(requests)}`).toEqual([]);
      const after = serialized(m, requests, answers);
      if (!after)
        throw new Error(
          `no serial order of the batch gives its answers\nrequests: ${JSON.stringify(requests)}\nanswers: ${JSON.stringify(answers.map((a) => ("status" in a ? a.code : a)))}\nmodel before: ${JSON.stringify({ ...m, keys: [...m.keys] })}`,
        );
      m = after;
      await expectReadBack(world, m, n === batches.length - 1);
    }
    expect(await admin("GET", "/admin/verify")).toMatchObject({ ok: true, problems: [] });
  });
  await fc.assert(property, { numRuns: 15, ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {}) });
  const metrics = (await s.app.inject({ method: "GET", url: "/metrics" })).body;
  const figure = (name: string) => Number(new RegExp(`^${name} (\\d+)`, "m").exec(metrics)![1]);
  expect(figure("stampd_ledger_batch_calls_sum"), "saves and uses sharing a commit").toBeGreaterThan(
    figure("stampd_ledger_batch_calls_count"),
  );
});
