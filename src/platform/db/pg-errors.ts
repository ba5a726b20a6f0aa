// Recognises PostgreSQL errors by their SQLSTATE and constraint, from the driver (pg, PGlite) or
// through Prisma's driver-adapter wrapping of them, never by their message.

/** SQLSTATE unique_violation. */
const UNIQUE_VIOLATION = "23505";

/** What Prisma's driver adapters keep of the driver's error. */
interface AdapterCause {
  originalCode?: string;
  kind?: string;
  /** The constraint's name (PostgreSQL's adapter) or its columns (the embedded database's adapter). */
  constraint?: { index?: string; fields?: string[] };
}

function causeOf(err: unknown): AdapterCause | undefined {
  const e = err as { cause?: AdapterCause; meta?: { driverAdapterError?: { cause?: AdapterCause } } } | null;
  return e?.meta?.driverAdapterError?.cause ?? e?.cause;
}

/** A unique constraint: its name, and its columns, which is all that PGlite's Prisma adapter reports of it. */
export interface UniqueConstraint {
  name: string;
  columns: string[];
}

/** True for a violation of the unique constraint `c`. */
export function isUniqueViolation(err: unknown, c: UniqueConstraint): boolean {
  const driver = err as { code?: string; constraint?: string } | null;
  if (driver?.code === UNIQUE_VIOLATION) return driver.constraint === c.name;
  const cause = causeOf(err);
  if (cause?.originalCode !== UNIQUE_VIOLATION) return false;
  const { index, fields } = cause.constraint ?? {};
  return index === c.name || (fields !== undefined && fields.join() === c.columns.join());
}
