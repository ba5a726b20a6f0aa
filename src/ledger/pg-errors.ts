// Recognises PostgreSQL errors, from the driver (pg, PGlite) or through Prisma's driver-adapter
// wrapping of them.

interface AdapterCause {
  originalCode?: string;
  originalMessage?: string;
  kind?: string;
  constraint?: { index?: string; fields?: string[] } | string;
}

function causeOf(err: unknown): AdapterCause | undefined {
  const e = err as { cause?: AdapterCause; meta?: { driverAdapterError?: { cause?: AdapterCause } } };
  return e?.meta?.driverAdapterError?.cause ?? e?.cause;
}

/** True for an error with this SQLSTATE. */
export function hasSqlState(err: unknown, code: string): boolean {
  return (err as { code?: string })?.code === code || causeOf(err)?.originalCode === code;
}

/** True for a unique violation (23505), on the named constraint when one is given. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const driver = err as { code?: string; constraint?: string };
  const text = `${(err as Error)?.message ?? ""} ${driver?.code ?? ""} ${driver?.constraint ?? ""} ${JSON.stringify(causeOf(err) ?? {})}`;
  const unique = /23505|UniqueConstraintViolation|unique constraint/i.test(text);
  return unique && (!constraint || text.includes(constraint));
}
