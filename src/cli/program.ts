// `stampd`: the server and the operator's commands (operations.md, "Command line"). main() takes
// its arguments, environment and output streams and returns the exit code, so the tests run the
// commands in their own process; src/cli/main.ts runs it for the real command.
import { createWriteStream, readFileSync } from "node:fs";
import { once } from "node:events";
import { Writable, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { StringDecoder } from "node:string_decoder";
import { Command, CommanderError, Option } from "commander";
import closeWithGrace from "close-with-grace";
import { ConfigError, loadConfig } from "../platform/config.js";
import { operation } from "../admin/operations.js";
import { PLANS } from "../vivoldi/gate.js";
import { ROLES } from "../console/users/service.js";
import { startServer } from "../server.js";
import { runOperation, UsageError, type FileSink } from "./run-operation.js";
import { formatResult, formatTable } from "./print.js";

const SHUTDOWN_GRACE_MS = 10_000;
/** Requests in flight get this long to finish; then their statements are cancelled and roll back. */
const STATEMENT_CANCEL_MS = SHUTDOWN_GRACE_MS - 3_000;

/** package.json sits two levels up from both src/cli/ and dist/cli/. */
const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };

/** What a run of the command line reads and writes, and the exit code its command asked for. */
export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdout(text: string): void;
  stderr(text: string): void;
  /** stderr is a terminal: long operations draw a progress bar there. */
  stderrIsTerminal?: boolean;
  /** Standard output as a stream, for files written there (which then wait for it); else `stdout` takes them. */
  stdoutStream?: Writable;
}

const processIo = (): CliIo => ({
  env: process.env,
  stdoutStream: process.stdout,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stderrIsTerminal: process.stderr.isTTY,
});

interface CliRun extends CliIo {
  exitCode: number;
}

type Options = Record<string, unknown>;

interface CommandOptions {
  /** The operation's input from the command's options; by default the options themselves. */
  toInput?: (opts: Options) => Options;
  /** Without --json, print the result (a list) as a table rather than as `key: value` lines. */
  table?: true;
}

/** Adds a command that runs the named operation with the command's options as its input. */
function operationCommand(
  run: CliRun,
  parent: Command,
  words: string,
  opName: string,
  options: Option[],
  { toInput = (opts) => opts, table }: CommandOptions = {},
): Command {
  const op = operation(opName);
  const cmd = parent.command(words).description(op.summary).option("--json", "print JSON");
  for (const o of options) cmd.addOption(o);
  cmd.action(async (opts: Options) => {
    const { json, ...input } = opts;
    const bar = run.stderrIsTerminal ? progressBar(run) : undefined;
    const result = await runOperation(loadConfig(run.env), op, toInput(input), undefined, bar?.show).finally(() => bar?.end());
    run.stdout(table && !json ? formatTable(result as Record<string, unknown>[]) : formatResult(result, Boolean(json)));
    if (opName === "verify" && !(result as { ok: boolean }).ok) run.exitCode = 1;
  });
  return cmd;
}

/** Adds a command that runs the named operation, which answers a file, and writes it to --out or standard output. */
function fileCommand(run: CliRun, parent: Command, words: string, opName: string, options: Option[]): Command {
  const op = operation(opName);
  const cmd = parent.command(words).description(op.summary).option("--out <file>", "write to this file instead of standard output");
  for (const o of options) cmd.addOption(o);
  cmd.action(async ({ out, ...input }: { out?: string } & Record<string, unknown>) => {
    await runOperation(loadConfig(run.env), op, input, out === undefined ? stdoutSink(run) : fileSink(out));
  });
  return cmd;
}

/** Writes to the file `path`, made or replaced once the operation has started answering. */
const fileSink =
  (path: string): FileSink =>
  async (body) => {
    const file = createWriteStream(path);
    try {
      await once(file, "open");
    } catch (err) {
      body.destroy();
      throw new UsageError(`--out: cannot write ${path}: ${(err as Error).message}`);
    }
    await pipeline(body, file);
  };

/** Writes to standard output, which stays open. */
const stdoutSink =
  (run: CliRun): FileSink =>
  (body: Readable) =>
    pipeline(body, run.stdoutStream ?? textWriter(run), { end: false });

/** A stream of bytes given to `run.stdout` as text, characters kept whole across chunks. */
function textWriter(run: CliRun): Writable {
  const decoder = new StringDecoder("utf8");
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      run.stdout(decoder.write(chunk));
      done();
    },
  });
}

const planOption = () => new Option("--plan <plan>", "stamp API plan").choices(PLANS);
const storeIdOption = () => new Option("--store <n>", "store id").makeOptionMandatory();

const storeOptions = () => [
  new Option("--branch <place>", "branch name (place)"),
  new Option("--login-id <id>", "unique login id"),
  new Option("--unit <unit>", "stamp or point").choices(["stamp", "point"]),
  new Option("--daily-limit <n>", "daily call limit"),
  new Option("--pool <store id>", "share the balance pool of this store (a chain)"),
  planOption(),
  new Option("--limit-minute <n>", "stamp API calls per minute instead of the plan's (`default`: the plan's)"),
  new Option("--limit-hour <n>", "stamp API calls per hour instead of the plan's (`default`: the plan's)"),
  new Option("--limit-day <n>", "stamp API calls per day instead of the plan's (`default`: the plan's)"),
  new Option("--time-zone <IANA>", "the store's time zone, e.g. Asia/Seoul (`default`: the server's TIME_ZONE)"),
  new Option("--expiry-days <N|none>", "days (1..3650) a credit lasts in the store's pool, for every store of it (`none`: never expires)"),
];

const BAR_WIDTH = 30;

/** A one-line bar on stderr, redrawn in place; ended with a line break once it was drawn. */
function progressBar(io: CliIo) {
  let drawn = false;
  return {
    show: (done: number, total: number) => {
      const filled = Math.round((BAR_WIDTH * done) / Math.max(total, 1));
      io.stderr(`\r[${"#".repeat(filled)}${".".repeat(BAR_WIDTH - filled)}] ${done}/${total}`);
      drawn = true;
    },
    end: () => drawn && io.stderr("\n"),
  };
}

/** The bytes of the file to import; the server may be another process, so they are sent, not the path. */
function readImportFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new UsageError(`--file: cannot read ${path}: ${(err as Error).message}`);
  }
}

function buildCli(run: CliRun): Command {
  const program = new Command("stampd")
    .description("stamp and loyalty-point ledger server")
    .version(version, "-V, --version", "print the version")
    .exitOverride();
  program.configureOutput({ writeOut: (s) => run.stdout(s), writeErr: (s) => run.stderr(s), outputError: () => {} });

  program
    .command("serve")
    .description("run the server (what `npm start` runs)")
    .action(async () => {
      const cfg = loadConfig(run.env);
      const server = await startServer(cfg, {
        onDemoStore: (demo, s) => {
          const today = new Intl.DateTimeFormat("en-CA", { timeZone: cfg.TIME_ZONE }).format(new Date());
          run.stdout(
            [
              "",
              "stampd: first start, created a demo store (this is shown once):",
              `  id:        ${demo.id}`,
              `  auth_code: ${demo.auth_code}`,
              `  try:       curl -s ${s.url}/api/open/save -d id=${demo.id} -d auth_code=${demo.auth_code} -d device=openapi -d number=010-1234-5678 -d count=2`,
              `  API key:   ${demo.api_key}   (stamp API, card ${demo.card_idx})`,
              `  try:       curl -s -X POST ${s.url}/api/stamp/v1/create -H 'Authorization: APIKey ${demo.api_key}' -H 'Content-Type: application/json' -d '{"cardIdx":${demo.card_idx},"strtYmd":"${today}","endYmd":"${Number(today.slice(0, 4)) + 1}-12-31"}'`,
              `  console:   npm run -s stampd -- user create --store ${demo.id} --login owner --role owner   (prints the password once), then ${s.url}/console`,
              "",
            ].join("\n") + "\n",
          );
        },
      });
      closeWithGrace({ delay: SHUTDOWN_GRACE_MS, logger: server.app.log }, async ({ signal, err }) => {
        if (err) server.app.log.error({ err }, "shutting down after an error");
        else server.app.log.info({ signal }, "shutting down");
        await server.close({ cancelStatementsAfterMs: STATEMENT_CANCEL_MS });
      });
    });

  operationCommand(run, program, "migrate", "migrate", []);
  operationCommand(run, program, "verify", "verify", []);

  const exporting = program.command("export").description("export a store's members or history as CSV");
  fileCommand(run, exporting, "members", "export members", [storeIdOption()]);
  fileCommand(run, exporting, "history", "export history", [
    storeIdOption(),
    new Option("--from <YYYY-MM-DD>", "first day (in the store's time zone)"),
    new Option("--to <YYYY-MM-DD>", "last day (in the store's time zone), included"),
  ]);

  const report = program.command("report").description("reports of a store's members");
  operationCommand(
    run,
    report,
    "expiring",
    "report expiring",
    [storeIdOption(), new Option("--within <days>", "last valid days up to this many days from today (1..3650)").makeOptionMandatory()],
    { table: true },
  );

  const store = program.command("store").description("manage stores");
  operationCommand(run, store, "create", "store create", [
    new Option("--name <name>", "store name").makeOptionMandatory(),
    ...storeOptions(),
  ]);
  operationCommand(run, store, "list", "store list", []);
  operationCommand(run, store, "rotate-code", "store rotate-code", [new Option("--id <n>", "store id").makeOptionMandatory()]);
  operationCommand(run, store, "set", "store set", [
    new Option("--id <n>", "store id").makeOptionMandatory(),
    new Option("--name <name>", "store name"),
    ...storeOptions(),
    new Option("--active <bool>", "true or false").choices(["true", "false"]),
  ]);

  const apikey = program.command("apikey").description("manage stamp API keys");
  operationCommand(run, apikey, "create", "apikey create", [
    storeIdOption(),
    planOption(),
    new Option("--label <text>", "what the key is for"),
  ]);
  operationCommand(run, apikey, "list", "apikey list", [storeIdOption()]);
  operationCommand(run, apikey, "revoke", "apikey revoke", [new Option("--key-id <n>", "API key id").makeOptionMandatory()]);

  const card = program.command("card").description("manage stamp cards");
  operationCommand(run, card, "create", "card create", [
    storeIdOption(),
    new Option("--name <name>", "card name (cardNm)").makeOptionMandatory(),
    new Option("--title <title>", "card title (cardTtl)").makeOptionMandatory(),
    new Option("--max-stamps <n>", "stamps to collect (maxStamps)").makeOptionMandatory(),
    new Option("--url <url>", "button link of the stamp page"),
    new Option("--image <url>", "stamp image (stampImgUrl)"),
    new Option("--onsite-pwd <password>", "staff password; turns the on-site option on"),
  ]);
  operationCommand(run, card, "list", "card list", [storeIdOption()]);

  const user = program.command("user").description("manage the store console's users");
  operationCommand(run, user, "create", "user create", [
    storeIdOption(),
    new Option("--login <name>", "login (letters, digits, . - _ @; unique on the server)").makeOptionMandatory(),
    new Option("--role <role>", "owner: everything of the store; staff: counter, customers, cards").choices(ROLES).makeOptionMandatory(),
  ]);
  operationCommand(run, user, "list", "user list", [storeIdOption()]);
  operationCommand(run, user, "reset-password", "user reset-password", [new Option("--login <name>", "login").makeOptionMandatory()]);
  operationCommand(run, user, "remove", "user remove", [new Option("--login <name>", "login").makeOptionMandatory()]);

  const imports = program.command("import").description("bring a shop's customers over from Stampang");
  operationCommand(
    run,
    imports,
    "members",
    "import members",
    [
      storeIdOption(),
      new Option("--file <path>", "CSV or TSV file, UTF-8 or CP949, with a header row").makeOptionMandatory(),
      new Option("--dry-run", "check the file and print the summary; write nothing"),
    ],
    { toInput: ({ store, file, dryRun }) => ({ id: store, file: readImportFile(String(file)), dryRun: Boolean(dryRun) }) },
  );

  const webhook = program.command("webhook").description("manage a store's webhook");
  operationCommand(run, webhook, "set", "webhook set", [
    storeIdOption(),
    new Option("--url <u>", "http or https URL").makeOptionMandatory(),
  ]);
  operationCommand(run, webhook, "clear", "webhook clear", [storeIdOption()]);
  operationCommand(run, webhook, "show", "webhook show", [storeIdOption()]);
  operationCommand(run, webhook, "deliveries", "webhook deliveries", [
    storeIdOption(),
    new Option("--limit <n>", "how many events (default 20)"),
  ]);
  operationCommand(run, webhook, "resend", "webhook resend", [new Option("--event <id>", "event id").makeOptionMandatory()]);
  return program;
}

/**
 * Runs the command line on `argv` (as process.argv: node and the script first) and returns its exit
 * code. `serve` returns once the server listens; the server then keeps the process alive.
 */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const run: CliRun = { ...io, exitCode: 0 };
  try {
    await buildCli(run).parseAsync(argv);
    return run.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return 0;
      // No command given: the help, already written to stderr, says what is wrong.
      if (err.code === "commander.help") return 2;
      io.stderr(`stampd: ${err.message.replace(/^error: /, "")}\n`);
      return 2;
    } else if (err instanceof UsageError || err instanceof ConfigError) {
      io.stderr(`stampd: ${err.message}\n`);
      return 2;
    } else {
      io.stderr(`stampd: ${(err as Error).message}\n`);
      return 1;
    }
  }
}
