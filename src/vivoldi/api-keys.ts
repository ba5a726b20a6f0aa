// Stamp API keys, managed by the operator: random, shown once at creation, stored only as a
// SHA-256 digest (src/platform/secrets.ts), several per store, revocable.
import type { Prisma as Db } from "../platform/db/client.js";
import type { Plan } from "../generated/prisma/enums.js";
import { NotFoundError } from "../platform/errors.js";
import { digest, newSecret } from "../platform/secrets.js";
import type { StoreService } from "../stores/service.js";

export interface ApiKeyView {
  id: number;
  store: number;
  /** The key's first characters, to tell keys apart. */
  prefix: string;
  label: string | null;
  created_at: string;
  revoked_at: string | null;
}

const PREFIX_LENGTH = 8;

type ApiKeyRow = Awaited<ReturnType<Db["apiKey"]["findFirstOrThrow"]>>;

function view(k: ApiKeyRow): ApiKeyView {
  return {
    id: k.id,
    store: k.storeId,
    prefix: k.prefix,
    label: k.label,
    created_at: k.createdAt.toISOString(),
    revoked_at: k.revokedAt?.toISOString() ?? null,
  };
}

export class ApiKeyService {
  constructor(
    private readonly db: Db,
    private readonly stores: StoreService,
  ) {}

  /** A new key for the store, returned here once and never again; `plan` also sets the store's plan. */
  async create(f: { store: number; plan?: Plan; label?: string }): Promise<ApiKeyView & { key: string; plan: Plan }> {
    const key = newSecret(24);
    const store = f.plan === undefined ? await this.stores.get(f.store) : await this.stores.set(f.store, { plan: f.plan });
    const created = await this.db.apiKey.create({
      data: { storeId: f.store, keyHash: digest(key), prefix: key.slice(0, PREFIX_LENGTH), label: f.label ?? null },
    });
    return { ...view(created), plan: store.plan, key };
  }

  async list(store: number): Promise<ApiKeyView[]> {
    await this.stores.get(store);
    return (await this.db.apiKey.findMany({ where: { storeId: store }, orderBy: { id: "asc" } })).map(view);
  }

  /**
   * The key stops working at once; revoking a revoked key keeps its first revocation time. With
   * `store`, a key of another store is not found (the store console's owner).
   */
  async revoke(id: number, store?: number): Promise<ApiKeyView> {
    const k = await this.db.apiKey.findUnique({ where: { id } });
    if (!k || (store !== undefined && k.storeId !== store)) throw new NotFoundError(`API key ${id} not found`);
    if (k.revokedAt) return view(k);
    return view(await this.db.apiKey.update({ where: { id }, data: { revokedAt: new Date() } }));
  }
}
