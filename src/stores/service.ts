// Stores: the tenants of both APIs. Created and changed by the operator (CLI, admin API).
import type { Prisma as Db } from "../platform/db/client.js";
import { StoreUnit, type Plan } from "../generated/prisma/enums.js";
import { ConflictError, InvalidArgumentError, NotFoundError } from "../platform/errors.js";
import { isUniqueViolation } from "../platform/db/pg-errors.js";
import { digest, newSecret } from "../platform/secrets.js";

export interface StoreFields {
  name?: string;
  branch?: string | null;
  loginId?: string;
  unit?: StoreUnit;
  dailyLimit?: number;
  /** Join the balance pool of this store (a chain). */
  pool?: number;
  active?: boolean;
  /** Stamp API plan. */
  plan?: Plan;
  /** Stamp API limits overriding the plan's; null returns to the plan's. */
  limitMinute?: number | null;
  limitHour?: number | null;
  limitDay?: number | null;
  /** IANA time zone of the store's calendar day; null returns to the server's TIME_ZONE. */
  timeZone?: string | null;
  /** Days a credit lasts in the store's pool (the pool's, shared by its stores); null: never expires. */
  expiryDays?: number | null;
}

export interface StoreView {
  id: number;
  login_id: string;
  name: string;
  place: string | null;
  unit: StoreUnit;
  daily_limit: number;
  pool: number;
  active: boolean;
  plan: Plan;
  /** The operator's overrides of the plan's stamp API limits; null: the plan's. */
  limit_minute: number | null;
  limit_hour: number | null;
  limit_day: number | null;
  /** The store's IANA time zone; null: the server's TIME_ZONE. */
  time_zone: string | null;
  /** The pool's expiry period in days; null: credits never expire. */
  expiry_days: number | null;
}

/** Every read of a store brings its pool's period along. */
const withPool = { pool: { select: { expiryDays: true } } } as const;
type StoreRow = Awaited<ReturnType<Db["store"]["findFirstOrThrow"]>> & { pool: { expiryDays: number | null } };

function view(s: StoreRow): StoreView {
  return {
    id: s.id,
    login_id: s.loginId,
    name: s.name,
    place: s.place,
    unit: s.unit,
    daily_limit: s.dailyLimit,
    pool: s.poolId,
    active: s.active,
    plan: s.plan,
    limit_minute: s.limitPerMinute,
    limit_hour: s.limitPerHour,
    limit_day: s.limitPerDay,
    time_zone: s.timeZone,
    expiry_days: s.pool.expiryDays,
  };
}

export class StoreService {
  constructor(
    private readonly db: Db,
    private readonly defaults: { dailyLimit: number },
  ) {}

  /** Creates a store; its auth_code is returned here once and never again. */
  async create(f: StoreFields & { name: string }): Promise<StoreView & { auth_code: string }> {
    await this.refuseUnknownZone(f.timeZone);
    const authCode = newSecret();
    const created = await this.translate(() =>
      this.db.$transaction(async (tx) => {
        const poolId =
          f.pool === undefined ? (await tx.pool.create({ data: { expiryDays: f.expiryDays } })).id : await this.poolOf(tx, f.pool);
        if (f.pool !== undefined && f.expiryDays !== undefined)
          await tx.pool.update({ where: { id: poolId }, data: { expiryDays: f.expiryDays } });
        const store = await tx.store.create({
          data: {
            // A placeholder until the id is known; replaced below in the same transaction.
            loginId: f.loginId ?? `pending-${authCode}`,
            name: f.name,
            place: f.branch ?? null,
            unit: f.unit ?? StoreUnit.stamp,
            dailyLimit: f.dailyLimit ?? this.defaults.dailyLimit,
            active: f.active ?? true,
            authCodeHash: digest(authCode),
            poolId,
            plan: f.plan,
            limitPerMinute: f.limitMinute,
            limitPerHour: f.limitHour,
            limitPerDay: f.limitDay,
            timeZone: f.timeZone,
          },
          include: withPool,
        });
        if (f.loginId !== undefined) return store;
        return tx.store.update({ where: { id: store.id }, data: { loginId: `store${store.id}` }, include: withPool });
      }),
    );
    return { ...view(created), auth_code: authCode };
  }

  async list(): Promise<StoreView[]> {
    return (await this.db.store.findMany({ orderBy: { id: "asc" }, include: withPool })).map(view);
  }

  async get(id: number): Promise<StoreView> {
    const s = await this.db.store.findUnique({ where: { id }, include: withPool });
    if (!s) throw new NotFoundError(`store ${id} not found`);
    return view(s);
  }

  /** The store's OPEN API calls counted on `day` (YYYY-MM-DD in the store's time zone), against its daily limit. */
  async callsOn(id: number, day: string): Promise<number> {
    const usage = await this.db.dailyUsage.findUnique({ where: { storeId_day: { storeId: id, day: new Date(day) } } });
    return usage?.calls ?? 0;
  }

  /** Issues a new auth_code; the old one stops working at once. */
  async rotateCode(id: number): Promise<StoreView & { auth_code: string }> {
    const authCode = newSecret();
    await this.get(id);
    const s = await this.db.store.update({ where: { id }, data: { authCodeHash: digest(authCode) }, include: withPool });
    return { ...view(s), auth_code: authCode };
  }

  /** Changes a store; its expiry period is its pool's, so it changes for every store of the pool. */
  async set(id: number, f: StoreFields): Promise<StoreView> {
    await this.get(id);
    await this.refuseUnknownZone(f.timeZone);
    const s = await this.translate(async () => {
      const poolId = f.pool === undefined ? undefined : await this.poolOf(this.db, f.pool);
      if (poolId !== undefined) await this.refuseMoveWithBalances(id, poolId);
      return this.db.$transaction(async (tx) => {
        const store = await tx.store.update({
          where: { id },
          include: withPool,
          data: {
            name: f.name,
            place: f.branch,
            loginId: f.loginId,
            unit: f.unit,
            dailyLimit: f.dailyLimit,
            active: f.active,
            poolId,
            plan: f.plan,
            limitPerMinute: f.limitMinute,
            limitPerHour: f.limitHour,
            limitPerDay: f.limitDay,
            timeZone: f.timeZone,
          },
        });
        if (f.expiryDays === undefined) return store;
        await tx.pool.update({ where: { id: store.poolId }, data: { expiryDays: f.expiryDays } });
        return { ...store, pool: { expiryDays: f.expiryDays } };
      });
    });
    return view(s);
  }

  /** PostgreSQL must know the zone too (the CHECK on store.time_zone): refused here with a clear error. */
  private async refuseUnknownZone(zone: string | null | undefined): Promise<void> {
    if (zone === undefined || zone === null) return;
    const [known] = await this.db.$queryRaw<{ ok: boolean }[]>`SELECT time_zone_known(${zone}) AS ok`;
    if (!known?.ok) throw new InvalidArgumentError(`--time-zone: ${zone} is not a time zone PostgreSQL knows (e.g. Asia/Seoul)`);
  }

  private async poolOf(tx: Pick<Db, "store">, storeId: number): Promise<number> {
    const s = await tx.store.findUnique({ where: { id: storeId }, select: { poolId: true } });
    if (!s) throw new InvalidArgumentError(`--pool: store ${storeId} not found`);
    return s.poolId;
  }

  /** Balances belong to a pool; moving a store that made entries would split its history. */
  private async refuseMoveWithBalances(id: number, poolId: number): Promise<void> {
    const current = await this.get(id);
    if (current.pool === poolId) return;
    const made = await this.db.ledgerEntry.count({ where: { storeId: id } });
    if (made > 0) throw new ConflictError(`store ${id} already has ledger entries in pool ${current.pool}; it cannot change pool`);
  }

  private async translate<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isUniqueViolation(err, { name: "store_login_id_key", columns: ["login_id"] }))
        throw new ConflictError("login_id is already taken");
      throw err;
    }
  }
}
