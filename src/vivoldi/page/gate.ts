// The gates of the stamp page (see src/ledger/types.ts): the page's code is its key, instead of
// an API key, and opens the one stamp it belongs to. The page's own reads and its on-site stamp
// then run through the ledger's statements (readStamp, changeStamp) with the API's rules.
import { Prisma } from "../../generated/prisma/client.js";
import { countOnsiteGuess, type GuessCount } from "./throttle.js";

export interface PageGateInput {
  pageCode: string;
  timeZone: string;
  /** The time of the call; the database's clock when absent. */
  at?: Date;
}

/**
 * The stamp of the page (not deleted) of an active store, its card's store, and today in the time
 * zone. A deactivated store's pages are gone, as its API keys and auth code stop working.
 */
function page(g: PageGateInput, extra: Prisma.Sql = Prisma.empty): Prisma.Sql {
  return Prisma.sql`
    page AS (
      SELECT s.id AS stamp_id, s.card_id, c.store_id, st.pool_id,
             (COALESCE(${g.at ?? null}::timestamptz, now()) AT TIME ZONE ${g.timeZone}::text)::date AS today ${extra}
        FROM stamp s JOIN card c ON c.id = s.card_id JOIN store st ON st.id = c.store_id
       WHERE s.page_code = ${g.pageCode}::text AND s.deleted_at IS NULL AND st.active
    )`;
}

/** Lets the page read its own stamp. */
export function pageReadGate(g: PageGateInput): Prisma.Sql {
  return Prisma.sql`${page(g)},
    gate AS (SELECT store_id, pool_id, today, true AS allowed FROM page)`;
}

/** The gate row of an on-site stamp: allowed when the password was right and the page not locked. */
export type OnSiteGateRow = GuessCount & { store_id: number; pool_id: number; allowed: boolean };

/**
 * Lets the page change its stamp after the card's on-site password, counted by the page's
 * throttle. Digests are compared, so the time taken tells nothing about how much of a guess was
 * right (as the API's redeem does).
 */
export function onSiteGate(g: PageGateInput & { password: string }): Prisma.Sql {
  const correct = Prisma.sql`, c.onsite_password IS NOT NULL
         AND sha256(convert_to(c.onsite_password, 'UTF8')) = sha256(convert_to(${g.password}::text, 'UTF8')) AS correct`;
  return Prisma.sql`${page(g, correct)},
    ${countOnsiteGuess(Prisma.sql`SELECT stamp_id, card_id, correct FROM page`, g.at)},
    gate AS (
      SELECT page.stamp_id, page.store_id, page.pool_id, page.today, guess.counted, guess.failures, guess.locked_until,
             COALESCE(guess.counted AND page.correct, false) AS allowed
        FROM page LEFT JOIN guess ON true
    )`;
}
