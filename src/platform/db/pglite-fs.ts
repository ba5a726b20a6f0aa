// The embedded database: PGlite on its NodeFS (Emscripten's NODEFS mounted on DATA_DIR/pglite), with
// two corrections to what that layer does with the real file system, and a guard in front of it.
import { fsyncSync } from "node:fs";
import { NodeFS } from "@electric-sql/pglite/nodefs";
import { PGlite, type PGliteInterface } from "@electric-sql/pglite";
import { expectDiskSpace, ShuttingDownError } from "./refusals.js";

/** The parts of Emscripten's NODEFS that are corrected here (Emscripten ships no types for them). */
interface NodeFsOps {
  node_ops: {
    mknod(parent: unknown, name: string, mode: number, dev: number): unknown;
    setattr(node: unknown, attr: { mode?: number }): void;
  };
  stream_ops: { fsync?(stream: { nfd: number }): number };
}

const GROUP_AND_OTHERS = 0o077;

/**
 * - Private files: PostgreSQL asks for 0666 (0600 for some) and Emscripten passes that on, partly
 *   through chmod, which no umask narrows: every mode is stripped of group and other bits.
 * - Real fsync: NODEFS has no fsync, so PostgreSQL's fsync of the WAL at commit, and of data files
 *   at a checkpoint, did nothing. Here it syncs the file through Node.
 */
function correct(nodefs: NodeFsOps): void {
  const mknod = nodefs.node_ops.mknod.bind(nodefs.node_ops);
  const setattr = nodefs.node_ops.setattr.bind(nodefs.node_ops);
  nodefs.node_ops.mknod = (parent, name, mode, dev) => mknod(parent, name, mode & ~GROUP_AND_OTHERS, dev);
  nodefs.node_ops.setattr = (node, attr) =>
    setattr(node, attr.mode === undefined ? attr : { ...attr, mode: attr.mode & ~GROUP_AND_OTHERS });
  nodefs.stream_ops.fsync = (stream) => {
    fsyncSync(stream.nfd);
    return 0;
  };
}

class StampdNodeFS extends NodeFS {
  override async init(pg: PGlite, opts: Parameters<NodeFS["init"]>[1]) {
    const { emscriptenOpts } = await super.init(pg, opts);
    const preRun = [...(emscriptenOpts.preRun ?? []), (mod: { NODEFS: unknown }) => correct(mod.NODEFS as NodeFsOps)];
    return { emscriptenOpts: { ...emscriptenOpts, preRun } };
  }
}

/**
 * PGlite's start parameters with fsync on: its defaults pass `-F` (fsync off). With it on,
 * PostgreSQL syncs the WAL before a commit returns (wal_sync_method fdatasync is a no-op in
 * Emscripten, so `fsync`) and syncs data files at checkpoints before it drops their WAL.
 */
const START_PARAMS = [...PGlite.defaultStartParams.filter((p) => p !== "-F"), "-c", "wal_sync_method=fsync"];

/**
 * Opens the embedded database at `dir`. Every new piece of work (a statement, a script, a
 * transaction; the three ways in, Prisma's adapter included) is refused once `shutdown.cancelling`
 * is set, and first checks the free disk space (src/platform/db/refusals.ts); work inside a transaction
 * already open goes on, so that it can finish or roll back.
 */
export async function createPGlite(dir: string, shutdown: { cancelling: boolean }): Promise<PGliteInterface & PGlite> {
  expectDiskSpace(dir);
  const db = await PGlite.create({ fs: new StampdNodeFS(dir), startParams: START_PARAMS });
  const guarded =
    <A extends unknown[], R>(run: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (!db.isInTransaction()) {
        if (shutdown.cancelling) throw new ShuttingDownError();
        expectDiskSpace(dir);
      }
      return run(...args);
    };
  db.query = guarded(db.query.bind(db)) as typeof db.query;
  db.exec = guarded(db.exec.bind(db));
  db.transaction = guarded(db.transaction.bind(db));
  return db;
}
