// The operator's operations, defined once and served two ways: by the admin HTTP API
// (src/admin/routes.ts) and by the `stampd` command line (src/cli/), which either runs them on
// the database itself or, when the server holds the embedded database, asks the server.
import { z } from "zod";
import type { Services } from "../services.js";
import type { Database } from "../platform/db/client.js";
import { migrate } from "../platform/db/migrate.js";
import { PLANS } from "../vivoldi/gate.js";
import { CARD_RULES } from "../vivoldi/cards.js";
import { NUL_MESSAGE, nulPath, recordId, timeZoneName, wholeNumber } from "../platform/input.js";
import { ROLES } from "../console/users/service.js";

export interface OperationContext {
  services: Services;
  db: Database;
  /** How far a long operation (an import) is, for a progress bar; absent when nobody watches. */
  progress?: (done: number, total: number) => void;
}

export interface Operation<I extends z.ZodType = z.ZodType> {
  /** The CLI's words, e.g. "store create". */
  name: string;
  summary: string;
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** Admin API path; `:id` style segments are filled from the input. */
  path: string;
  input: I;
  /** The input field that is the request's body as it is (the admin API) instead of a JSON field. */
  rawBody?: { field: string; contentType: "text/csv" };
  run(ctx: OperationContext, input: z.output<I>): Promise<unknown>;
}

const define = <I extends z.ZodType>(op: Operation<I>): Operation<I> => op;

const id = recordId;
const boolText = z.union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")]);
const plan = z.enum(PLANS);
/** A stamp API limit overriding the plan's; `default` (or null) returns to the plan's. */
const limit = z.union([z.literal("default").transform(() => null), z.null(), wholeNumber(1, 100_000_000)]);
/** A calendar day in the store's time zone. */
const day = z.iso.date({ error: "must be a date YYYY-MM-DD" });
/** A console user's login (its form is the service's to check). */
const login = z.string().min(1).max(64);
const storeFields = {
  branch: z.string().min(1).max(100).optional(),
  loginId: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, "letters, digits, dot, dash or underscore, at most 64")
    .optional(),
  unit: z.enum(["stamp", "point"]).optional(),
  dailyLimit: wholeNumber(1, 100_000_000).optional(),
  pool: id.optional(),
  plan: plan.optional(),
  limitMinute: limit.optional(),
  limitHour: limit.optional(),
  limitDay: limit.optional(),
  /** The store's calendar day; `default` (or null) returns to the server's TIME_ZONE. */
  timeZone: z.union([z.literal("default").transform(() => null), z.null(), timeZoneName]).optional(),
  /** The pool's expiry period, for every store of the pool; `none` (or null): credits never expire. */
  expiryDays: z
    .union([z.literal("none").transform(() => null), z.null(), wholeNumber(1, 3650)], {
      error: "must be a whole number of days from 1 to 3650, or none",
    })
    .optional(),
};

export const operations = [
  define({
    name: "store create",
    summary: "Create a store; prints its auth_code once",
    method: "POST",
    path: "/admin/stores",
    input: z.object({ name: z.string().min(1).max(100), ...storeFields }),
    run: ({ services }, input) => services.stores.create(input),
  }),
  define({
    name: "store list",
    summary: "List stores",
    method: "GET",
    path: "/admin/stores",
    input: z.object({}),
    run: ({ services }) => services.stores.list(),
  }),
  define({
    name: "store rotate-code",
    summary: "Issue a new auth_code; the old one stops working",
    method: "POST",
    path: "/admin/stores/:id/rotate-code",
    input: z.object({ id }),
    run: ({ services }, input) => services.stores.rotateCode(input.id),
  }),
  define({
    name: "store set",
    summary: "Change a store",
    method: "PATCH",
    path: "/admin/stores/:id",
    input: z.object({ id, name: z.string().min(1).max(100).optional(), ...storeFields, active: boolText.optional() }),
    run: ({ services }, { id: storeId, ...fields }) => services.stores.set(storeId, fields),
  }),
  define({
    name: "apikey create",
    summary: "Issue a stamp API key for a store; prints the key once",
    method: "POST",
    path: "/admin/api-keys",
    input: z.object({ store: id, plan: plan.optional(), label: z.string().min(1).max(100).optional() }),
    run: ({ services }, input) => services.apiKeys.create(input),
  }),
  define({
    name: "apikey list",
    summary: "List a store's stamp API keys (without the keys)",
    method: "GET",
    path: "/admin/api-keys",
    input: z.object({ store: id }),
    run: ({ services }, input) => services.apiKeys.list(input.store),
  }),
  define({
    name: "apikey revoke",
    summary: "Revoke a stamp API key; it stops working at once",
    method: "POST",
    path: "/admin/api-keys/:keyId/revoke",
    input: z.object({ keyId: id }),
    run: ({ services }, input) => services.apiKeys.revoke(input.keyId),
  }),
  define({
    name: "card create",
    summary: "Create a stamp card of a store; prints its cardIdx",
    method: "POST",
    path: "/admin/cards",
    input: z.object({
      store: id,
      ...CARD_RULES,
      url: CARD_RULES.url.optional(),
      image: CARD_RULES.image.optional(),
      onsitePwd: CARD_RULES.onsitePwd.optional(),
    }),
    run: ({ services }, input) => services.cards.create(input),
  }),
  define({
    name: "card list",
    summary: "List a store's stamp cards",
    method: "GET",
    path: "/admin/cards",
    input: z.object({ store: id }),
    run: ({ services }, input) => services.cards.list(input.store),
  }),
  define({
    name: "webhook set",
    summary: "Register the store's webhook URL; prints its signing secret once",
    method: "POST",
    path: "/admin/webhooks/:store",
    input: z.object({ store: id, url: z.string().min(1) }),
    run: ({ services }, input) => services.webhooks.set(input.store, input.url),
  }),
  define({
    name: "webhook clear",
    summary: "Remove the store's webhook",
    method: "DELETE",
    path: "/admin/webhooks/:store",
    input: z.object({ store: id }),
    run: ({ services }, input) => services.webhooks.clear(input.store),
  }),
  define({
    name: "webhook show",
    summary: "Show the store's webhook and its events by status",
    method: "GET",
    path: "/admin/webhooks/:store",
    input: z.object({ store: id }),
    run: ({ services }, input) => services.webhooks.show(input.store),
  }),
  define({
    name: "webhook deliveries",
    summary: "List the store's recent webhook events with their attempts",
    method: "GET",
    path: "/admin/webhooks/:store/deliveries",
    input: z.object({ store: id, limit: wholeNumber(1, 200).default(20) }),
    run: ({ services }, input) => services.webhooks.deliveries(input.store, input.limit),
  }),
  define({
    name: "webhook resend",
    summary: "Send a failed webhook event again, with the same event id",
    method: "POST",
    path: "/admin/webhook-events/:event/resend",
    input: z.object({ event: z.uuid() }),
    run: ({ services }, input) => services.webhooks.resend(input.event),
  }),
  define({
    name: "user create",
    summary: "Create a console user of a store; prints its password once",
    method: "POST",
    path: "/admin/console-users",
    input: z.object({ store: id, login, role: z.enum(ROLES) }),
    run: ({ services }, input) => services.consoleUsers.create(input),
  }),
  define({
    name: "user list",
    summary: "List a store's console users (without passwords)",
    method: "GET",
    path: "/admin/console-users",
    input: z.object({ store: id }),
    run: ({ services }, input) => services.consoleUsers.list(input.store),
  }),
  define({
    name: "user reset-password",
    summary: "Give a console user a new password, printed once; their sessions end and a lock is lifted",
    method: "POST",
    path: "/admin/console-users/:login/reset-password",
    input: z.object({ login }),
    run: ({ services }, input) => services.consoleUsers.resetPassword(input.login),
  }),
  define({
    name: "user remove",
    summary: "Remove a console user; their sessions end (their ledger rows keep the login)",
    method: "DELETE",
    path: "/admin/console-users/:login",
    input: z.object({ login }),
    run: ({ services }, input) => services.consoleUsers.remove(input.login),
  }),
  define({
    name: "import members",
    summary: "Import members and opening balances into the store's pool from a CSV file (shared/spec/migration.md)",
    method: "POST",
    path: "/admin/stores/:id/import",
    input: z.object({ id, file: z.instanceof(Buffer, { error: "the file is required" }), dryRun: boolText.default(false) }),
    rawBody: { field: "file", contentType: "text/csv" },
    run: ({ services, progress }, input) => services.imports.importMembers(input.id, input.file, { dryRun: input.dryRun, progress }),
  }),
  define({
    name: "export members",
    summary: "The members of the store's pool as CSV (UTF-8 with BOM); the file imports again",
    method: "GET",
    path: "/admin/stores/:store/export/members.csv",
    input: z.object({ store: id }),
    run: ({ services }, input) => services.exports.members(input.store),
  }),
  define({
    name: "export history",
    summary: "The rows of the members of the store's pool as CSV (UTF-8 with BOM), oldest first",
    method: "GET",
    path: "/admin/stores/:store/export/history.csv",
    input: z.object({ store: id, from: day.optional(), to: day.optional() }),
    run: ({ services }, { store, ...range }) => services.exports.history(store, range),
  }),
  define({
    name: "report expiring",
    summary: "Members of the store's pool with a balance expiring within N days: amount and last valid day, soonest first",
    method: "GET",
    path: "/admin/stores/:store/expiring",
    input: z.object({ store: id, within: wholeNumber(1, 3650) }),
    run: ({ services }, input) => services.expiry.report(input.store, input.within),
  }),
  define({
    name: "verify",
    summary: "Check the whole ledger",
    method: "GET",
    path: "/admin/verify",
    input: z.object({}),
    run: ({ services }) => services.verify(),
  }),
  define({
    name: "migrate",
    summary: "Apply pending database migrations",
    method: "POST",
    path: "/admin/migrate",
    input: z.object({}),
    run: async ({ db }) => ({ applied: await migrate(db) }),
  }),
] as Operation[];

/**
 * The operation's input from `raw` (the admin API's path, query and body, or the command line's
 * options); throws the ZodError of the first problem, a text with a NUL character included.
 */
export function parseInput(op: Operation, raw: Record<string, unknown>): Record<string, unknown> {
  const nul = nulPath(raw);
  if (nul) throw new z.ZodError([{ code: "custom", path: nul, message: NUL_MESSAGE, input: undefined }]);
  return op.input.parse(raw) as Record<string, unknown>;
}

export function operation(name: string): Operation {
  const op = operations.find((o) => o.name === name);
  if (!op) throw new Error(`no operation ${name}`);
  return op;
}

/** The admin API path of `op` for `input`, with its `:name` segments filled in. */
export function operationPath(op: Operation, input: Record<string, unknown>): { path: string; rest: Record<string, unknown> } {
  const rest = { ...input };
  const path = op.path.replace(/:(\w+)/g, (_, name: string) => {
    const value = rest[name];
    delete rest[name];
    return encodeURIComponent(String(value));
  });
  return { path, rest };
}
