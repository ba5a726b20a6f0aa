// Secrets handed to callers (auth codes, API keys) are random, shown once, and stored only as a
// SHA-256 digest. They carry enough entropy that a fast hash is safe, which keeps the digest
// usable as a lookup key in the same SQL statement that does the work.
import { hash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Prisma as Db } from "./db/client.js";

export function newSecret(bytes = 18): string {
  return randomBytes(bytes).toString("base64url");
}

/** SHA-256, hex: of a secret, or of anything else that needs a fixed-size fingerprint. */
export function digest(secret: string): string {
  return hash("sha256", secret, "hex");
}

export function equalsConstantTime(a: string, b: string): boolean {
  const x = Buffer.from(digest(a));
  const y = Buffer.from(digest(b));
  return timingSafeEqual(x, y);
}

/**
 * The random secret `name` that every process on this database shares, created by whichever asks
 * first (a concurrent second creation does nothing and reads the first's).
 */
export async function sharedSecret(db: Db, name: string): Promise<string> {
  await db.sharedSecret.createMany({ data: [{ name, value: newSecret(32) }], skipDuplicates: true });
  return (await db.sharedSecret.findUniqueOrThrow({ where: { name } })).value;
}
