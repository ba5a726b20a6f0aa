// DATA_DIR holds the embedded database, WAL included (stamp page codes, on-site passwords), the
// lock and the server's control token: only the server's user may read or write any of it.
import { chmodSync, lstatSync, readdirSync } from "node:fs";
import path from "node:path";

/**
 * Takes over DATA_DIR (its owner calls this, holding the lock) an existing one: every directory becomes 0700 and every file 0600,
 * whatever modes an older version or PGlite (which creates its files 0666) left, and files made
 * from now on are private whatever the umask the server was started with.
 */
export function makeDataDirPrivate(dir: string): void {
  process.umask(0o077);
  restrict(dir);
}

function restrict(entry: string): void {
  const stat = lstatSync(entry);
  // A symbolic link's own mode means nothing; what it points to is the operator's.
  if (stat.isSymbolicLink()) return;
  if (stat.isDirectory()) {
    if ((stat.mode & 0o777) !== 0o700) chmodSync(entry, 0o700);
    for (const name of readdirSync(entry)) restrict(path.join(entry, name));
  } else if ((stat.mode & 0o777) !== 0o600) chmodSync(entry, 0o600);
}
