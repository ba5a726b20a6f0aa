// Console sessions: a logged-in browser holds a random token in a signed cookie; the database
// holds only its SHA-256, so a copy of the database opens no session. A session ends after
// IDLE_HOURS without a request, at logout, when its user is removed or gets a new password, and
// is not honoured while its store is deactivated.
import { Prisma } from "../../generated/prisma/client.js";
import type { Database } from "../../platform/db/client.js";
import { digest, newSecret } from "../../platform/secrets.js";
import type { ConsoleUser, Role } from "./service.js";

export const IDLE_HOURS = 12;
const IDLE_MS = IDLE_HOURS * 3600_000;

export class ConsoleSessionService {
  constructor(
    private readonly db: Database,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Starts a session of `userId`; the token is for the browser's cookie only. Ended sessions are cleared on the way. */
  async start(userId: number): Promise<string> {
    const now = this.clock();
    const token = newSecret(32);
    await this.db.prisma.consoleSession.deleteMany({ where: { lastSeenAt: { lte: new Date(now.getTime() - IDLE_MS) } } });
    await this.db.prisma.consoleSession.create({ data: { id: digest(token), userId, createdAt: now, lastSeenAt: now } });
    return token;
  }

  /** The user of a live session, whose idle time starts again; null for an ended or unknown one. */
  async resume(token: string): Promise<ConsoleUser | null> {
    const now = this.clock();
    const [row] = await this.db.query<{
      id: number;
      login: string;
      role: Role;
      store_id: number;
      pool_id: number;
      name: string;
    }>(Prisma.sql`
      UPDATE console_session s SET last_seen_at = ${now}::timestamptz
        FROM console_user u JOIN store st ON st.id = u.store_id
       WHERE s.id = ${digest(token)} AND u.id = s.user_id AND st.active
         AND s.last_seen_at > ${new Date(now.getTime() - IDLE_MS)}::timestamptz
      RETURNING u.id, u.login, u.role::text AS role, u.store_id, st.pool_id, st.name`);
    return row ? { id: row.id, login: row.login, role: row.role, storeId: row.store_id, poolId: row.pool_id, storeName: row.name } : null;
  }

  async end(token: string): Promise<void> {
    await this.db.prisma.consoleSession.deleteMany({ where: { id: digest(token) } });
  }
}
