// Typed errors of the services. Each facade (OPEN API, stamp API, admin API, CLI) maps them to
// its own answer in one place.

export class InvalidArgumentError extends Error {
  override name = "InvalidArgumentError";
}

export class NotFoundError extends Error {
  override name = "NotFoundError";
}

export class ConflictError extends Error {
  override name = "ConflictError";
}

/** The `default` of an exhaustive `switch` on a closed set: the compiler proves it is never reached. */
export function unreachable(value: never): never {
  throw new Error(`unexpected value ${String(value)}`);
}
