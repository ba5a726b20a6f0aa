// Work refused before it reaches the database: on a full disk, and while the server shuts down.
//
// Free space under the embedded database is checked before every piece of new work. PostgreSQL in
// PGlite does not survive running out of space: once creating a WAL segment fails with ENOSPC, every
// later statement spins inside the WebAssembly module at 100 % CPU, the event loop with it (no
// answer, not even /healthz, nor SIGTERM), and freeing space does not bring it back. So it must never
// get there: below a reserve, new work is refused before it reaches the database, and it resumes by
// itself once space is back.
import { statfsSync } from "node:fs";

/** A WAL segment (16 MiB), which PostgreSQL writes whole when it starts one, and room for the data beside it. */
export const DISK_RESERVE_BYTES = 64 * 1024 * 1024;

export class DiskFullError extends Error {
  readonly code = "ENOSPC";
}

/** A statement refused because the server is shutting down (Database.cancelStatements). */
export class ShuttingDownError extends Error {
  constructor() {
    super("the server is shutting down");
  }
}

/** Returns why writes are refused (too little free space under `dir`), or null. */
export function diskShortage(dir: string): string | null {
  const { bavail, bsize } = statfsSync(dir);
  const free = bavail * bsize;
  if (free >= DISK_RESERVE_BYTES) return null;
  const mib = (n: number) => `${Math.floor(n / 1024 / 1024)} MiB`;
  return `disk full: ${mib(free)} free under ${dir}, the embedded database keeps ${mib(DISK_RESERVE_BYTES)} in reserve`;
}

/** Throws DiskFullError when the space under `dir` is below the reserve. */
export function expectDiskSpace(dir: string): void {
  const shortage = diskShortage(dir);
  if (shortage) throw new DiskFullError(shortage);
}
