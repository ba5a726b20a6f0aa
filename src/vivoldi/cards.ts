// Stamp-card templates, created by the operator (the original service has no card API).
import type { Prisma as Db } from "../platform/db/client.js";
import type { StoreService } from "../stores/service.js";

export interface CardFields {
  store: number;
  name: string;
  title: string;
  maxStamps: number;
  url?: string;
  image?: string;
  /** Turns the on-site option on (onsiteYn=Y). */
  onsitePwd?: string;
}

export interface CardView {
  cardIdx: number;
  store: number;
  cardNm: string;
  cardTtl: string;
  maxStamps: number;
  url: string | null;
  stampImgUrl: string | null;
  onsiteYn: "Y" | "N";
}

type CardRow = Awaited<ReturnType<Db["card"]["findFirstOrThrow"]>>;

function view(c: CardRow): CardView {
  return {
    cardIdx: c.id,
    store: c.storeId,
    cardNm: c.name,
    cardTtl: c.title,
    maxStamps: c.maxStamps,
    url: c.url,
    stampImgUrl: c.stampImageUrl,
    onsiteYn: c.onsitePassword === null ? "N" : "Y",
  };
}

export class CardService {
  constructor(
    private readonly db: Db,
    private readonly stores: StoreService,
  ) {}

  async create(f: CardFields): Promise<CardView> {
    await this.stores.get(f.store);
    const card = await this.db.card.create({
      data: {
        storeId: f.store,
        name: f.name,
        title: f.title,
        maxStamps: f.maxStamps,
        url: f.url ?? null,
        stampImageUrl: f.image ?? null,
        onsitePassword: f.onsitePwd ?? null,
      },
    });
    return view(card);
  }

  async list(store: number): Promise<CardView[]> {
    await this.stores.get(store);
    return (await this.db.card.findMany({ where: { storeId: store }, orderBy: { id: "asc" } })).map(view);
  }
}
