-- The entry kind of what a member's lots held when their end passed (shared/spec/expiry.md). Alone
-- in its migration: a new enum value cannot be used in the transaction that adds it.
ALTER TYPE "EntryKind" ADD VALUE 'expire';
