// Stamp-card templates: created by the operator (CLI, admin API; the original service has no card
// API) or by the store's owner in the console, who also edits and deactivates them. A deactivated
// card issues no more stamps; those issued before work on (see the migration console_cards).
import { z } from "zod";
import type { Database } from "../platform/db/client.js";
import { wholeNumber } from "../platform/input.js";
import { updateCard, type CardEdit } from "../ledger/stamps.js";
import type { StoreService } from "../stores/service.js";

const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).max(2000);

/** What each field of a card may be, wherever it is given (command line, admin API, console). */
export const CARD_RULES = {
  name: z.string().min(1).max(100),
  title: z.string().min(1).max(200),
  maxStamps: wholeNumber(1, 1000),
  url: httpUrl,
  image: httpUrl,
  onsitePwd: z.string().min(1).max(100),
};

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
  /** N: deactivated, it issues no more stamps. */
  activeYn: "Y" | "N";
}

/** A card as its owner edits it: with its on-site password (validate shows it to the store's API keys too). */
export interface CardDetail extends CardView {
  onsitePwd: string | null;
}

/** The result of an edit: refused while stamps hold more than the new maximum (how many). */
export type CardUpdate = { status: "ok" } | { status: "card_not_found" } | { status: "above_new_maximum"; stampsAbove: number };

type CardRow = Awaited<ReturnType<Database["prisma"]["card"]["findFirstOrThrow"]>>;

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
    activeYn: c.active ? "Y" : "N",
  };
}

export class CardService {
  constructor(
    private readonly db: Database,
    private readonly stores: StoreService,
  ) {}

  async create(f: CardFields): Promise<CardView> {
    await this.stores.get(f.store);
    const card = await this.db.prisma.card.create({
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
    return (await this.db.prisma.card.findMany({ where: { storeId: store }, orderBy: { id: "asc" } })).map(view);
  }

  /** A card of the store, or null: another store's card is not found. */
  async get(store: number, cardIdx: number): Promise<CardDetail | null> {
    const card = await this.db.prisma.card.findFirst({ where: { id: cardIdx, storeId: store } });
    return card && { ...view(card), onsitePwd: card.onsitePassword };
  }

  /** Sets every field of a card of the store; its stamps' maximum follows (the ledger's card_update). */
  async update(store: number, cardIdx: number, edit: CardEdit): Promise<CardUpdate> {
    const row = await updateCard(this.db, store, cardIdx, edit);
    return row.status === "above_new_maximum" ? { status: row.status, stampsAbove: row.stamps_above! } : { status: row.status };
  }

  /** Deactivates a card of the store, or activates it again; false: no such card. */
  async setActive(store: number, cardIdx: number, active: boolean): Promise<boolean> {
    return (await this.db.prisma.card.updateMany({ where: { id: cardIdx, storeId: store }, data: { active } })).count === 1;
  }
}
