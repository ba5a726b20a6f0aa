// The hand-written migrations must build exactly the database that prisma/schema.prisma
// describes: every model's table, every field's column with its type and nullability, every
// primary key, unique and index with its column order, every foreign key and every enum.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { get_dmmf } from "@prisma/prisma-schema-wasm";
import { openDatabase, type Database } from "../src/platform/db/client.js";
import { migrate, readMigrations } from "../src/platform/db/migrate.js";
import { loadConfig } from "../src/platform/config.js";
import { freshDatabase, type TestDatabase } from "./support/database.js";

interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: "scalar" | "enum" | "object";
  type: string;
  isRequired: boolean;
  isList: boolean;
  hasDefaultValue: boolean;
  isUpdatedAt: boolean;
  nativeType?: [string, string[]] | null;
  relationFromFields?: string[];
}
interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
}
interface DmmfIndex {
  model: string;
  type: "id" | "unique" | "normal";
  fields: { name: string; sortOrder?: "asc" | "desc" }[];
}
interface Dmmf {
  datamodel: {
    models: DmmfModel[];
    enums: { name: string; dbName?: string | null; values: { name: string; dbName?: string | null }[] }[];
    indexes: DmmfIndex[];
  };
}

const dmmf: Dmmf = JSON.parse(
  get_dmmf(JSON.stringify({ prismaSchema: [["schema.prisma", readFileSync("prisma/schema.prisma", "utf8")]] })),
);
const models = dmmf.datamodel.models;
const table = (m: DmmfModel) => m.dbName ?? m.name;
const column = (f: DmmfField) => f.dbName ?? f.name;
const columnOf = (m: DmmfModel, fieldName: string) => column(m.fields.find((f) => f.name === fieldName)!);

/** The PostgreSQL type (udt_name and precision) Prisma gives a scalar field. */
function expectedType(f: DmmfField): string {
  if (f.kind === "enum") return f.type;
  const native = f.nativeType?.[0];
  const args = f.nativeType?.[1] ?? [];
  if (f.type === "DateTime") {
    if (native === "Date") return "date";
    return `${native === "Timestamptz" ? "timestamptz" : "timestamp"}(${args[0] ?? 3})`;
  }
  const plain: Record<string, string> = {
    Int: "int4",
    BigInt: "int8",
    String: "text",
    Boolean: "bool",
    Json: "jsonb",
    Bytes: "bytea",
    Float: "float8",
    Decimal: "numeric",
  };
  if (native === "VarChar") return `varchar(${args[0]})`;
  if (native === "Uuid") return "uuid";
  return plain[f.type]!;
}

let test: TestDatabase;
let db: Database;

interface Column {
  table_name: string;
  column_name: string;
  udt_name: string;
  is_nullable: string;
  column_default: string | null;
  datetime_precision: number | null;
  character_maximum_length: number | null;
}
interface Index {
  table: string;
  name: string;
  unique: boolean;
  primary: boolean;
  columns: string[];
  descending: boolean[];
}
interface ForeignKey {
  table: string;
  ref: string;
  columns: string[];
}

let columns: Column[];
let indexes: Index[];
let foreignKeys: ForeignKey[];
let enums: Map<string, string[]>;

beforeAll(async () => {
  test = await freshDatabase({ empty: true });
  const config = loadConfig({ ...test.env });
  db = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, poolSize: 2 });
  await migrate(db);
  columns = await db.prisma.$queryRawUnsafe<Column[]>(`
    SELECT table_name::text, column_name::text, udt_name::text, is_nullable::text, column_default::text,
           datetime_precision::int, character_maximum_length::int
      FROM information_schema.columns WHERE table_schema = current_schema()`);
  indexes = await db.prisma.$queryRawUnsafe<Index[]>(`
    SELECT t.relname::text AS table, i.relname::text AS name, ix.indisunique AS unique, ix.indisprimary AS primary,
           to_jsonb(array(SELECT a.attname::text FROM unnest(ix.indkey) WITH ORDINALITY k(n, o)
                           JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.n ORDER BY k.o)) AS columns,
           to_jsonb(array(SELECT (ix.indoption[k.o - 1] & 1) = 1 FROM unnest(ix.indkey) WITH ORDINALITY k(n, o) ORDER BY k.o)) AS descending
      FROM pg_index ix
      JOIN pg_class i ON i.oid = ix.indexrelid
      JOIN pg_class t ON t.oid = ix.indrelid
      JOIN pg_namespace ns ON ns.oid = t.relnamespace
     WHERE ns.nspname = current_schema()`);
  foreignKeys = await db.prisma.$queryRawUnsafe<ForeignKey[]>(`
    SELECT c.conrelid::regclass::text AS table, c.confrelid::regclass::text AS ref,
           to_jsonb(array(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, o)
                           JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.o)) AS columns
      FROM pg_constraint c JOIN pg_namespace ns ON ns.oid = c.connamespace
     WHERE c.contype = 'f' AND ns.nspname = current_schema()`);
  const enumRows = await db.prisma.$queryRawUnsafe<{ name: string; labels: string[] }[]>(`
    SELECT t.typname::text AS name, to_jsonb(array_agg(e.enumlabel::text ORDER BY e.enumsortorder)) AS labels
      FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname`);
  enums = new Map(enumRows.map((r) => [r.name, r.labels]));
});

afterAll(async () => {
  await db?.close();
  await test?.drop();
});

describe("the migrated database matches schema.prisma", () => {
  it("has a table for every model and no other table but Prisma's own", () => {
    const tables = new Set(columns.map((c) => c.table_name));
    expect([...tables].sort()).toEqual([...models.map(table), "_prisma_migrations"].sort());
  });

  it.each(models.map((m) => [m.name, m] as const))("%s: every field is a column of the right type and nullability", (_, m) => {
    const scalars = m.fields.filter((f) => f.kind !== "object");
    const actual = columns.filter((c) => c.table_name === table(m));
    expect(actual.map((c) => c.column_name).sort()).toEqual(scalars.map(column).sort());
    for (const f of scalars) {
      const c = actual.find((x) => x.column_name === column(f))!;
      const type =
        c.udt_name === "timestamptz" || c.udt_name === "timestamp"
          ? `${c.udt_name}(${c.datetime_precision})`
          : c.udt_name === "varchar"
            ? `varchar(${c.character_maximum_length})`
            : c.udt_name;
      expect({ field: f.name, type, nullable: c.is_nullable === "YES", hasDefault: c.column_default !== null }).toEqual({
        field: f.name,
        type: expectedType(f),
        nullable: !f.isRequired,
        hasDefault: f.hasDefaultValue,
      });
    }
  });

  it("has exactly the schema's primary keys, uniques and indexes, with column order and sort order", () => {
    const expected = dmmf.datamodel.indexes.map((i) => {
      const m = models.find((x) => x.name === i.model)!;
      return {
        table: table(m),
        kind: i.type === "id" ? "primary" : i.type === "unique" ? "unique" : "index",
        columns: i.fields.map((f) => columnOf(m, f.name)),
        descending: i.fields.map((f) => f.sortOrder === "desc"),
      };
    });
    const actual = indexes
      .filter((i) => i.table !== "_prisma_migrations")
      .map((i) => ({
        table: i.table,
        kind: i.primary ? "primary" : i.unique ? "unique" : "index",
        columns: i.columns,
        descending: i.descending,
      }));
    const key = (x: { table: string; columns: string[]; kind: string }) => `${x.table}(${x.columns.join(",")}) ${x.kind}`;
    expect(actual.sort((a, b) => key(a).localeCompare(key(b)))).toEqual(expected.sort((a, b) => key(a).localeCompare(key(b))));
  });

  it("has a foreign key for every relation", () => {
    const expected = models.flatMap((m) =>
      m.fields
        .filter((f) => f.kind === "object" && f.relationFromFields?.length)
        .map((f) => ({
          table: table(m),
          ref: table(models.find((x) => x.name === f.type)!),
          columns: f.relationFromFields!.map((n) => columnOf(m, n)),
        })),
    );
    const key = (x: ForeignKey) => `${x.table}(${x.columns.join(",")})->${x.ref}`;
    expect(foreignKeys.map(key).sort()).toEqual(expected.map(key).sort());
  });

  it("has every enum with its values in order", () => {
    for (const e of dmmf.datamodel.enums) {
      expect(enums.get(e.dbName ?? e.name)).toEqual(e.values.map((v) => v.dbName ?? v.name));
    }
  });

  it("records every migration in _prisma_migrations with Prisma's checksum", async () => {
    const rows = await db.prisma.$queryRawUnsafe<{ migration_name: string; checksum: string }[]>(
      `SELECT migration_name, checksum FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY migration_name`,
    );
    expect(rows).toEqual(readMigrations().map((m) => ({ migration_name: m.name, checksum: m.checksum })));
    expect(await migrate(db)).toEqual([]);
  });
});
