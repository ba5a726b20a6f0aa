// The embedded database may be opened by one process only. Whoever opens it (the server, or a CLI
// command when no server runs) holds this lock; the server also leaves a control file beside it
// so that CLI commands can ask it to do their work instead (src/cli/run-operation.ts).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import lockfile from "proper-lockfile";

export class EmbeddedBusyError extends Error {}

function lockTarget(dataDir: string): string {
  const dir = path.resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  return dir;
}

const LOCK_OPTIONS = { stale: 15_000, update: 5_000, realpath: false, lockfilePath: "" };

/** Takes the lock or throws EmbeddedBusyError; returns its release. */
export async function lockEmbedded(dataDir: string): Promise<() => Promise<void>> {
  const dir = lockTarget(dataDir);
  try {
    return await lockfile.lock(dir, { ...LOCK_OPTIONS, lockfilePath: path.join(dir, "stampd.lock"), onCompromised: () => {} });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ELOCKED") {
      throw new EmbeddedBusyError(`the embedded database in ${dir} is in use by another stampd process`);
    }
    throw err;
  }
}

export interface ControlFile {
  pid: number;
  url: string;
  token: string;
}

const controlPath = (dataDir: string) => path.join(path.resolve(dataDir), "server.json");

export function writeControlFile(dataDir: string, c: ControlFile): void {
  writeFileSync(controlPath(dataDir), JSON.stringify(c), { mode: 0o600 });
}

export function readControlFile(dataDir: string): ControlFile | null {
  try {
    return JSON.parse(readFileSync(controlPath(dataDir), "utf8")) as ControlFile;
  } catch {
    return null;
  }
}

export function removeControlFile(dataDir: string): void {
  rmSync(controlPath(dataDir), { force: true });
}
