-- The store console (shared/spec/console.md): its users, their sessions, and which user made a
-- ledger row (docs/ledger.md, "Who made a row").

-- CreateEnum
CREATE TYPE "ConsoleRole" AS ENUM ('owner', 'staff');

-- A person who logs in to the console of one store. The login is unique on the server, so the
-- operator names a user by it alone. Wrong passwords are counted by page_guess_next, the stamp
-- page's rule: failed_logins in a row lock the login until locked_until, each further lock twice
-- as long as the one before (lockouts), until a right password.
-- CreateTable
CREATE TABLE "console_user" (
    "id" SERIAL NOT NULL,
    "store_id" INTEGER NOT NULL,
    "login" TEXT NOT NULL,
    "role" "ConsoleRole" NOT NULL,
    "password_hash" TEXT NOT NULL,
    "failed_logins" INTEGER NOT NULL DEFAULT 0,
    "lockouts" INTEGER NOT NULL DEFAULT 0,
    "locked_until" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "console_user_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "console_user_failed_logins_check" CHECK ("failed_logins" >= 0),
    CONSTRAINT "console_user_lockouts_check" CHECK ("lockouts" >= 0)
);

-- A logged-in browser: the SHA-256 (hex) of its cookie's token, never the token itself.
-- CreateTable
CREATE TABLE "console_session" (
    "id" TEXT NOT NULL,
    "user_id" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "console_session_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "console_user_login_key" ON "console_user"("login");

-- CreateIndex
CREATE INDEX "console_user_store_id_idx" ON "console_user"("store_id");

-- CreateIndex
CREATE INDEX "console_session_user_id_idx" ON "console_session"("user_id");

-- AddForeignKey
ALTER TABLE "console_user" ADD CONSTRAINT "console_user_store_id_fkey" FOREIGN KEY ("store_id") REFERENCES "store"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "console_session" ADD CONSTRAINT "console_session_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "console_user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The console user whose action wrote the row, null for the APIs and the operator. The ledger's
-- functions stay as they are: the console runs them in a transaction that first sets
-- stampd.console_login (set_config(..., true): to the end of that transaction only), and every
-- row they write takes it from this default (src/ledger/actor.ts).
ALTER TABLE "ledger_entry" ADD COLUMN "console_login" TEXT DEFAULT NULLIF(current_setting('stampd.console_login', true), '');
