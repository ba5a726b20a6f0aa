-- The entry kind of an opening balance brought over from Stampang (shared/spec/migration.md,
-- "Import"). Alone in its migration: a new enum value cannot be used in the transaction that adds
-- it, and the next migration's index names it.
ALTER TYPE "EntryKind" ADD VALUE 'import';
