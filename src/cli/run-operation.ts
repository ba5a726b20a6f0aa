// Runs an operator operation for the CLI: on the database directly, or, when a running server
// holds the embedded database, through that server's admin API with its local control token.
import type { Config } from "../platform/config.js";
import { openDatabase } from "../platform/db/client.js";
import { migrate } from "../platform/db/migrate.js";
import { EmbeddedBusyError, lockEmbedded, readControlFile, type ControlFile } from "../platform/db/embedded-lock.js";
import { ZodError } from "zod";
import { operationPath, parseInput, type Operation, type OperationContext } from "../admin/operations.js";
import { createServices } from "../services.js";
import { ConflictError, InvalidArgumentError, NotFoundError } from "../platform/errors.js";
import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { FileAnswer } from "../import-export/export.js";

/** An error that the operator's arguments caused: one line, exit code 2. */
export class UsageError extends Error {}

/** Where a command writes the file an operation answers (an export), as it is read. */
export type FileSink = (body: Readable) => Promise<void>;

/**
 * Runs `op` and returns its result; a file it answers is written to `sink` before the database
 * closes, and the result is then undefined. `progress` is told how far a long operation is when it
 * runs in this process (through a running server, the server does the work and nothing is told).
 */
export async function runOperation(
  config: Config,
  op: Operation,
  rawInput: Record<string, unknown>,
  sink: FileSink = noFile,
  progress?: OperationContext["progress"],
): Promise<unknown> {
  let input: Record<string, unknown>;
  try {
    input = parseInput(op, rawInput);
  } catch (err) {
    if (!(err instanceof ZodError)) throw err;
    const i = err.issues[0]!;
    throw new UsageError(`${i.path.length ? `--${kebab(String(i.path[0]))}: ` : ""}${i.message}`);
  }
  if (config.DATABASE_URL) return runDirect(config, op, input, sink, progress);
  let release: () => Promise<void>;
  try {
    release = await lockEmbedded(config.DATA_DIR);
  } catch (err) {
    if (err instanceof EmbeddedBusyError) return runRemote(config, op, input, sink);
    throw err;
  }
  try {
    return await runDirect(config, op, input, sink, progress);
  } finally {
    await release();
  }
}

const noFile: FileSink = () => Promise.reject(new Error("this command does not write files"));

async function runDirect(
  config: Config,
  op: Operation,
  input: Record<string, unknown>,
  sink: FileSink,
  progress: OperationContext["progress"],
): Promise<unknown> {
  const db = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, poolSize: 2 });
  try {
    if (op.name !== "migrate") await migrate(db);
    const result = await op.run({ services: createServices(db, config), db, progress }, input).catch((err: unknown) => {
      if (err instanceof InvalidArgumentError || err instanceof NotFoundError || err instanceof ConflictError) {
        throw new UsageError(err.message);
      }
      throw err;
    });
    if (!(result instanceof FileAnswer)) return result;
    await sink(result.body);
    return undefined;
  } finally {
    await db.close();
  }
}

async function runRemote(config: Config, op: Operation, input: Record<string, unknown>, sink: FileSink): Promise<unknown> {
  const control = readControlFile(config.DATA_DIR);
  if (!control)
    throw new Error(`the embedded database in ${config.DATA_DIR} is in use, but no running server answers for it; retry in a few seconds`);
  await expectAnswer(control);
  const { path, rest } = operationPath(op, input);
  const url = new URL(path, control.url);
  const headers: Record<string, string> = { authorization: `Bearer ${control.token}` };
  const init: RequestInit = { method: op.method, headers };
  const { [op.rawBody?.field ?? ""]: raw, ...fields } = rest;
  if (op.method === "GET" || op.rawBody) for (const [k, v] of Object.entries(fields)) url.searchParams.set(k, String(v));
  else init.body = JSON.stringify(rest);
  if (op.rawBody) {
    init.body = new Uint8Array(raw as Buffer);
    headers["content-type"] = op.rawBody.contentType;
  } else if (init.body) headers["content-type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (err) {
    throw new Error(`the running server at ${control.url} did not answer: ${(err as Error).message}`, { cause: err });
  }
  if (res.ok && res.body && res.headers.get("content-disposition")?.startsWith("attachment")) {
    await sink(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>));
    return undefined;
  }
  const body = (await res.json()) as { message?: string };
  if (res.ok) return body;
  if (res.status === 400 || res.status === 404 || res.status === 409) throw new UsageError(body.message ?? res.statusText);
  throw new Error(`server answered ${res.status}: ${body.message ?? res.statusText}`);
}

/** How long the server holding the database gets to show it is alive before a command gives up. */
const ALIVE_TIMEOUT_MS = 5_000;

/**
 * Fails unless the server holding the lock answers: a stopped or frozen server keeps its lock (and
 * must), so a command neither waits on it forever nor takes the database from it.
 */
async function expectAnswer(control: ControlFile): Promise<void> {
  try {
    const res = await fetch(new URL("/healthz", control.url), { signal: AbortSignal.timeout(ALIVE_TIMEOUT_MS) });
    await res.body?.cancel();
  } catch (err) {
    const why =
      (err as Error).name === "TimeoutError"
        ? `did not answer within ${ALIVE_TIMEOUT_MS / 1000} s`
        : `did not answer (${(err as Error).message})`;
    throw new Error(
      `the server holding the embedded database (pid ${control.pid}, ${control.url}) ${why}; nothing was changed. ` +
        "A stopped or frozen server keeps the database until it runs again or exits.",
      { cause: err },
    );
  }
}

export const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
