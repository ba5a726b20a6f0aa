// The customer's stamp page behind `stampUrl` (`/stamp/<page code>`): the customer sets a 4-6
// digit PIN on the first visit and enters it on later visits; a browser that entered it may be
// remembered by a token that changes whenever the PIN is set again (after resetPinYn=Y), so a
// reset forgets every browser. Wrong PINs are throttled per stamp (src/vivoldi/page/throttle.ts).
// What the page shows and the on-site stamp go through StampService, with the API's rules.
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from "node:crypto";
import type { Prisma as Db } from "../../platform/db/client.js";
import { digest, equalsConstantTime } from "../../platform/secrets.js";
import type { GuessCount } from "./throttle.js";
import type { StampService } from "../service.js";

/** A stamp page as found by its code. */
export interface PageStamp {
  stampIdx: number;
  pageCode: string;
  pinHash: string | null;
}

export const PIN_FORMAT = /^[0-9]{4,6}$/;

/** A stamp whose page works: not deleted, of an active store (as the SQL functions stamp_page_read and stamp_page_add). */
const LIVE = { deletedAt: null, card: { store: { active: true } } } as const;

/** scrypt's cost: about 50 ms and 16 MiB per hash, so a stolen hash of a 4-6 digit PIN is slow to guess. */
const SCRYPT: ScryptOptions & { keylen: number } = { N: 16384, r: 8, p: 1, keylen: 32 };

const scrypt = (pin: string, salt: Buffer, o: typeof SCRYPT) =>
  new Promise<Buffer>((resolve, reject) =>
    scryptCallback(pin, salt, o.keylen, { N: o.N, r: o.r, p: o.p }, (err, key) => (err ? reject(err) : resolve(key))),
  );

/** `scrypt$N$r$p$<salt>$<hash>` (base64url), with a random salt. */
export async function hashPin(pin: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(pin, salt, SCRYPT);
  return ["scrypt", SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString("base64url"), hash.toString("base64url")].join("$");
}

export async function pinMatches(pin: string, stored: string): Promise<boolean> {
  const [scheme, N, r, p, salt, hash] = stored.split("$");
  if (scheme !== "scrypt" || !salt || !hash) return false;
  const expected = Buffer.from(hash, "base64url");
  const actual = await scrypt(pin, Buffer.from(salt, "base64url"), { N: Number(N), r: Number(r), p: Number(p), keylen: expected.length });
  return timingSafeEqual(actual, expected);
}

export class StampPageService {
  constructor(
    private readonly db: Db,
    private readonly stamps: StampService,
  ) {}

  /** The page of `pageCode`; null when there is none (or its stamp was deleted, or its store deactivated). */
  async find(pageCode: string): Promise<PageStamp | null> {
    const s = await this.db.stamp.findFirst({ where: { pageCode, ...LIVE }, select: { id: true, pinHash: true } });
    return s ? { stampIdx: s.id, pageCode, pinHash: s.pinHash } : null;
  }

  /** The token a browser that entered the PIN keeps; null while no PIN is set. */
  browserToken(p: PageStamp): string | null {
    return p.pinHash === null ? null : digest(p.pinHash);
  }

  /** Whether `token` (from a browser) is the page's current one. */
  remembers(p: PageStamp, token: string | null | undefined): boolean {
    const current = this.browserToken(p);
    return current !== null && typeof token === "string" && equalsConstantTime(token, current);
  }

  /** Sets the first PIN; false when the page already has one (set meanwhile by another request). */
  async setPin(p: PageStamp, pin: string): Promise<boolean> {
    if (!PIN_FORMAT.test(pin)) throw new RangeError("a PIN is 4 to 6 digits");
    const pinHash = await hashPin(pin);
    const { count } = await this.db.stamp.updateMany({
      where: { id: p.stampIdx, pinHash: null, ...LIVE },
      data: { pinHash, updatedAt: new Date() },
    });
    if (count === 1) p.pinHash = pinHash;
    return count === 1;
  }

  /**
   * Checks a PIN guess, counted by the page's throttle before the slow hash is computed; a right
   * one clears the count. `right` false with `counted` false: the page is locked.
   */
  async checkPin(p: PageStamp, pin: string): Promise<GuessCount & { right: boolean }> {
    const guess = await this.stamps.countPinGuess(p.stampIdx);
    if (!guess.counted) return { ...guess, right: false };
    if (p.pinHash === null || !PIN_FORMAT.test(pin) || !(await pinMatches(pin, p.pinHash))) return { ...guess, right: false };
    await this.db.pageThrottle.updateMany({
      where: { stampId: p.stampIdx, secret: "pin" },
      data: { failures: 0, lockedUntil: null, lockouts: 0 },
    });
    return { counted: true, failures: 0, locked_until: null, right: true };
  }

  read(p: PageStamp) {
    return this.stamps.readPage(p.stampIdx, p.pageCode);
  }

  addOnSite(p: PageStamp, password: string) {
    return this.stamps.addOnSite(p.stampIdx, p.pageCode, password);
  }
}
