// The embedded database may be opened by one process only. Whoever opens it (the server, or a CLI
// command when no server runs) holds an advisory lock on DATA_DIR/stampd.lock, taken through the
// kernel (an open-file-description lock): it lasts as long as the holder's open file, so a paused
// or stalled holder keeps it however long it stalls, and the kernel frees it the moment the holder
// dies, so a restart after a crash needs no wait. The server also leaves a control file beside it
// so that CLI commands can ask it to do their work instead (src/cli/run-operation.ts).
import { closeSync, mkdirSync, openSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { tryLock } from "fs-native-extensions";
import { makeDataDirPrivate } from "./data-dir.js";

export class EmbeddedBusyError extends Error {}

const lockPath = (dataDir: string) => path.join(path.resolve(dataDir), "stampd.lock");

/** Takes the lock or throws EmbeddedBusyError; returns its release. */
export async function lockEmbedded(dataDir: string): Promise<() => Promise<void>> {
  const dir = path.resolve(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = lockPath(dir);
  // Versions before this lock kept an empty directory of this name (proper-lockfile's).
  if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) rmdirSync(file);
  const fd = openSync(file, "a", 0o600);
  if (!tryLock(fd)) {
    closeSync(fd);
    throw new EmbeddedBusyError(`the embedded database in ${dir} is in use by another stampd process`);
  }
  makeDataDirPrivate(dir);
  // Closing the file drops the lock.
  return async () => closeSync(fd);
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
