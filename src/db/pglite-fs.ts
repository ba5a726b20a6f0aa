// The embedded database's files: PGlite's NodeFS (Emscripten's NODEFS mounted on DATA_DIR/pglite),
// with a correction to what that layer does with the real file system.
import { NodeFS } from "@electric-sql/pglite/nodefs";
import { PGlite, type PGliteInterface } from "@electric-sql/pglite";

/** The parts of Emscripten's NODEFS that are corrected here (Emscripten ships no types for them). */
interface NodeFsOps {
  node_ops: {
    mknod(parent: unknown, name: string, mode: number, dev: number): unknown;
    setattr(node: unknown, attr: { mode?: number }): void;
  };
}

const GROUP_AND_OTHERS = 0o077;

/**
 * Private files: PostgreSQL asks for 0666 (0600 for some) and Emscripten passes that on, partly
 * through chmod, which no umask narrows: every mode is stripped of group and other bits.
 */
function correct(nodefs: NodeFsOps): void {
  const { mknod, setattr } = nodefs.node_ops;
  nodefs.node_ops.mknod = (parent, name, mode, dev) => mknod(parent, name, mode & ~GROUP_AND_OTHERS, dev);
  nodefs.node_ops.setattr = (node, attr) =>
    setattr(node, attr.mode === undefined ? attr : { ...attr, mode: attr.mode & ~GROUP_AND_OTHERS });
}

class StampdNodeFS extends NodeFS {
  override async init(pg: PGlite, opts: Parameters<NodeFS["init"]>[1]) {
    const { emscriptenOpts } = await super.init(pg, opts);
    const preRun = [...(emscriptenOpts.preRun ?? []), (mod: { NODEFS: unknown }) => correct(mod.NODEFS as NodeFsOps)];
    return { emscriptenOpts: { ...emscriptenOpts, preRun } };
  }
}

export async function createPGlite(dir: string): Promise<PGliteInterface & PGlite> {
  return PGlite.create({ fs: new StampdNodeFS(dir) });
}
