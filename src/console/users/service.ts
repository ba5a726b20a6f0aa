// The console's users (shared/spec/console.md, "Who logs in"): people of one store, each an owner
// or staff, created by the operator (stampd user ..., the admin API) or, staff only, by an owner in
// the console. A new or reset password is made here and shown once; only its argon2id hash is
// kept. Wrong passwords lock a login as the stamp page's throttle locks a PIN (the same SQL rule,
// page_guess_next): 5 in a row lock it for 15 minutes, each further lock twice as long. What the
// login page learns is the same whether the login exists, is locked, or the password is wrong.
import { randomInt } from "node:crypto";
import { hash, verify } from "@node-rs/argon2";
import { Prisma } from "../../generated/prisma/client.js";
import type { ConsoleRole } from "../../generated/prisma/enums.js";
import type { Database } from "../../platform/db/client.js";
import { isUniqueViolation } from "../../platform/db/pg-errors.js";
import { ConflictError, InvalidArgumentError, NotFoundError } from "../../platform/errors.js";
import type { GuessRules } from "../../ledger/stamps.js";

export type Role = ConsoleRole;
export const ROLES = ["owner", "staff"] as const satisfies readonly Role[];

/** Who is logged in, as every console page sees them. */
export interface ConsoleUser {
  id: number;
  login: string;
  role: Role;
  storeId: number;
  poolId: number;
  storeName: string;
}

/** A user as the operator lists them. */
export interface ConsoleUserView {
  id: number;
  store: number;
  login: string;
  role: Role;
  created_at: Date;
  /** Set while wrong passwords lock the login. */
  locked_until: Date | null;
}

/** Letters, digits, dot, dash, underscore or @, 3 to 64; kept in lower case. */
export const LOGIN_FORMAT = /^[a-z0-9._@-]{3,64}$/;

export const LOGIN_RULES: GuessRules = { max_failures: 5, lock_minutes: 15, lock_max_minutes: 24 * 60 };

/** A password longer than this is wrong without being hashed (hashing is the costly part). */
const PASSWORD_MAX = 256;

/** OWASP's argon2id setting: 19 MiB, two passes, one lane. */
const ARGON2 = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/** No 0/o, 1/l/i: read off a screen and typed on a phone. */
const PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789";

/** Twelve random characters in three groups (59 bits): `k7mq-x3ab-r9tz`. */
function newPassword(): string {
  const chars = Array.from({ length: 12 }, () => PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)]!);
  return [0, 4, 8].map((i) => chars.slice(i, i + 4).join("")).join("-");
}

export const normalLogin = (login: string) => login.trim().toLowerCase();

function checkLogin(login: string): string {
  const normal = normalLogin(login);
  if (!LOGIN_FORMAT.test(normal)) throw new InvalidArgumentError("login: letters, digits, dot, dash, underscore or @, 3 to 64");
  return normal;
}

const view = (u: { id: number; storeId: number; login: string; role: Role; createdAt: Date; lockedUntil: Date | null }, now: Date) => ({
  id: u.id,
  store: u.storeId,
  login: u.login,
  role: u.role,
  created_at: u.createdAt,
  locked_until: u.lockedUntil && u.lockedUntil > now ? u.lockedUntil : null,
});

/** Which users a change may touch: any (the operator), or one store's staff (its owner, in the console). */
export type UserScope = { store: number; role: "staff" } | null;

export class ConsoleUserService {
  /** A hash of no password, checked when the login does not exist, so that the answer takes as long. */
  private decoy: Promise<string> | undefined;

  constructor(
    private readonly db: Database,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Creates a user of `store`; its password is in the answer, and nowhere else. */
  async create(input: { store: number; login: string; role: Role }): Promise<ConsoleUserView & { password: string }> {
    const login = checkLogin(input.login);
    const store = await this.db.prisma.store.findUnique({ where: { id: input.store }, select: { id: true } });
    if (!store) throw new NotFoundError(`store ${input.store} not found`);
    const password = newPassword();
    try {
      const u = await this.db.prisma.consoleUser.create({
        data: { storeId: store.id, login, role: input.role, passwordHash: await hash(password, ARGON2) },
      });
      return { ...view(u, this.clock()), password };
    } catch (err) {
      if (isUniqueViolation(err, { name: "console_user_login_key", columns: ["login"] }))
        throw new ConflictError(`login ${login} is already taken`);
      throw err;
    }
  }

  async list(store: number): Promise<ConsoleUserView[]> {
    const users = await this.db.prisma.consoleUser.findMany({ where: { storeId: store }, orderBy: { id: "asc" } });
    const now = this.clock();
    return users.map((u) => view(u, now));
  }

  /** A new password for `login`, shown once; the old one and every session of the user end, and so does a lock. */
  async resetPassword(login: string, scope: UserScope = null): Promise<{ login: string; password: string }> {
    const password = newPassword();
    const passwordHash = await hash(password, ARGON2);
    const normal = normalLogin(login);
    return this.db.prisma.$transaction(async (tx) => {
      const { count } = await tx.consoleUser.updateMany({
        where: { login: normal, ...scopeWhere(scope) },
        data: { passwordHash, failedLogins: 0, lockouts: 0, lockedUntil: null },
      });
      if (count === 0) throw new NotFoundError(`console user ${normal} not found`);
      await tx.consoleSession.deleteMany({ where: { user: { login: normal } } });
      return { login: normal, password };
    });
  }

  /** Removes `login` and ends its sessions; its ledger rows keep its name. */
  async remove(login: string, scope: UserScope = null): Promise<{ login: string; removed: true }> {
    const normal = normalLogin(login);
    const { count } = await this.db.prisma.consoleUser.deleteMany({ where: { login: normal, ...scopeWhere(scope) } });
    if (count === 0) throw new NotFoundError(`console user ${normal} not found`);
    return { login: normal, removed: true };
  }

  /**
   * The user whose login and password these are, or null, and nothing says why: no such login, a
   * wrong password, a locked login, a deactivated store. The guess is counted as wrong before the
   * slow hash is checked (guesses sent at once cannot all pass before the first failure is
   * written), and cleared when right.
   */
  async authenticate(login: string, password: string): Promise<ConsoleUser | null> {
    const now = this.clock();
    const [counted] = await this.db.query<{ id: number; password_hash: string; counted: boolean }>(Prisma.sql`
      WITH guess AS (
        SELECT u.id, n.* FROM console_user u,
               page_guess_next(u.failed_logins, u.locked_until, u.lockouts, false, ${now}::timestamptz, ${JSON.stringify(LOGIN_RULES)}::jsonb) n
         WHERE u.login = ${normalLogin(login)} FOR UPDATE OF u)
      UPDATE console_user u SET failed_logins = g.failures, locked_until = g.locked_until, lockouts = g.lockouts
        FROM guess g WHERE u.id = g.id
      RETURNING u.id, u.password_hash, g.counted`);
    const right =
      password.length <= PASSWORD_MAX &&
      (await verify(counted?.password_hash ?? (await (this.decoy ??= hash(newPassword(), ARGON2))), password));
    if (!counted?.counted || !right) return null;
    await this.db.prisma.consoleUser.update({ where: { id: counted.id }, data: { failedLogins: 0, lockouts: 0, lockedUntil: null } });
    return this.find(counted.id);
  }

  /** The user `id` as the pages see them, or null when gone or of a deactivated store. */
  async find(id: number): Promise<ConsoleUser | null> {
    const u = await this.db.prisma.consoleUser.findFirst({
      where: { id, store: { active: true } },
      include: { store: { select: { name: true, poolId: true } } },
    });
    return u && { id: u.id, login: u.login, role: u.role, storeId: u.storeId, poolId: u.store.poolId, storeName: u.store.name };
  }
}

function scopeWhere(scope: UserScope) {
  return scope ? { storeId: scope.store, role: scope.role } : {};
}
