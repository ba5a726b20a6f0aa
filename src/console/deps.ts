// What the console's routes are given (src/app.ts builds it from the server's services), and what
// they find on a request: the logged-in user, and each route's declared role.
import type { Database } from "../platform/db/client.js";
import type { PhonePolicy } from "../platform/phone.js";
import type { StoreService } from "../stores/service.js";
import type { PointsService } from "../stampang/service.js";
import type { StampService } from "../vivoldi/service.js";
import type { CardService } from "../vivoldi/cards.js";
import type { ApiKeyService } from "../vivoldi/api-keys.js";
import type { WebhookService } from "../webhooks/service.js";
import type { ImportService } from "../import-export/import.js";
import type { ExportService } from "../import-export/export.js";
import type { ImportUploads } from "../import-export/uploads.js";
import type { ExpiryService } from "../expiry/service.js";
import type { ConsoleUser, ConsoleUserService } from "./users/service.js";
import type { ConsoleSessionService } from "./users/sessions.js";

export interface ConsoleDeps {
  db: Database;
  consoleUsers: ConsoleUserService;
  consoleSessions: ConsoleSessionService;
  stores: StoreService;
  points: PointsService;
  stamps: StampService;
  cards: CardService;
  apiKeys: ApiKeyService;
  webhooks: WebhookService;
  imports: ImportService;
  exports: ExportService;
  expiry: ExpiryService;
  importUploads: ImportUploads;
  /** Signs the console's cookies; the same for every instance on one database (sharedSecret "console_cookie"). */
  cookieSecret: string;
  /** TIME_ZONE: the day of a store without its own time zone. */
  timeZone: string;
  phones: PhonePolicy;
  publicBaseUrl: string;
  /** The time of logins and sessions (the services hold the same clock). */
  clock: () => Date;
}

/** The time zone of a store's day: its own, else the server's TIME_ZONE. */
export async function storeTimeZone(deps: Pick<ConsoleDeps, "stores" | "timeZone">, storeId: number): Promise<string> {
  return (await deps.stores.get(storeId)).time_zone ?? deps.timeZone;
}

/**
 * Who may use a route: `public` anyone (log in, the style sheet), `staff` any logged-in user,
 * `owner` the store's owners only. Every console route declares one (src/console/routes.ts
 * refuses to register a route without).
 */
export type Access = "public" | "staff" | "owner";

declare module "fastify" {
  interface FastifyRequest {
    /** The logged-in user of a console request, or null. */
    consoleUser: ConsoleUser | null;
  }
  interface FastifyContextConfig {
    role?: Access;
  }
}
