// README.md's examples, run as printed and in order against a fresh `npm start` (the embedded
// database and its demo store, as in the Quick start): each command's printed answer must be the
// answer it gets. A printed answer is a comment beginning with `{` after the command or on the
// next comment lines (joined until its brackets close); `...` stands for anything, `…` for any string's contents and a timestamp for any
// timestamp. `$CODE` is the demo store's auth_code from the first start's output and `$KEY` the key
// that `apikey create` printed, as the README says; `localhost:3000` is the test server's port.
import { execFileSync, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SLOW_START_MS, spawnServer, type ServerProcess } from "./support/process.js";

const ROOT = path.resolve(import.meta.dirname, "..");

interface Example {
  /** One shell command (continuation lines joined). */
  command: string;
  /** The answer printed for it, if any. */
  answer?: string;
  /** README line of the command, for messages. */
  line: number;
}

/** The balanced `{…}` or `[…]` that `text` begins with (strings may hold brackets), or null if it does not close. */
function leadingJson(text: string): string | null {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{" || c === "[") depth++;
    else if ((c === "}" || c === "]") && --depth === 0) return text.slice(0, i + 1);
  }
  return null;
}

/** Splits a shell line into its command and its trailing comment (a `#` outside quotes after a space). */
function splitComment(line: string): [string, string | undefined] {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "#" && /\s/.test(line[i - 1] ?? "")) return [line.slice(0, i).trimEnd(), line.slice(i + 1).trim()];
  }
  return [line.trimEnd(), undefined];
}

/** The README's shell examples that talk to the server: `sh` blocks that call it with curl or the CLI. */
function readmeExamples(markdown: string): Example[] {
  const examples: Example[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== "```sh") continue;
    const start = i + 1;
    i = lines.indexOf("```", start);
    const block = lines.slice(start, i);
    if (!block.some((l) => l.includes("localhost:3000") || /npm run .*stampd/.test(l))) continue;
    for (let j = 0; j < block.length; j++) {
      const line = start + j + 1;
      let text = block[j]!;
      while (text.endsWith("\\")) text = `${text.slice(0, -1)}${block[++j]!.trimStart()}`;
      const [command, firstComment] = text.trimStart().startsWith("#") ? ["", text.trim().slice(1).trim()] : splitComment(text);
      let comment = firstComment;
      if (!comment || !/^[{[]/.test(comment)) {
        if (command) examples.push({ command, line });
        continue;
      }
      let answer = leadingJson(comment);
      while (answer === null && block[j + 1]?.startsWith("#")) answer = leadingJson((comment += block[++j]!.slice(1).trim()));
      if (answer === null) throw new Error(`README.md:${line}: an answer whose brackets do not close`);
      if (command) examples.push({ command, answer, line });
      else {
        const last = examples.at(-1);
        if (!last || last.answer !== undefined) throw new Error(`README.md:${line}: an answer without its command`);
        last.answer = answer;
      }
    }
  }
  return examples;
}

const TIMESTAMP = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z/;

/** A printed answer as a pattern of what may come back. */
function answerPattern(printed: string): RegExp {
  const parts = printed.split(new RegExp(`(\\.\\.\\.|…|${TIMESTAMP.source})`));
  const source = parts
    .map((p, i) => {
      if (i % 2 === 0) return p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      if (p === "...") return ".*";
      if (p === "…") return '[^"]*';
      return TIMESTAMP.source;
    })
    .join("");
  return new RegExp(`^${source}$`, "s");
}

async function freePort(): Promise<number> {
  const probe = createServer().listen(0, "127.0.0.1");
  await once(probe, "listening");
  const { port } = probe.address() as AddressInfo;
  probe.close();
  await once(probe, "close");
  return port;
}

const isAssignment = (command: string) => /^[A-Z_]+=/.test(command);
const hasCurl = spawnSync("curl", ["--version"]).status === 0;
if (!hasCurl) console.warn("\n!!! test/readme-examples.test.ts SKIPPED: no `curl` on this machine (apt-get install curl) !!!\n");

describe.skipIf(!hasCurl)("README.md examples, in order, on a fresh install", () => {
  const examples = readmeExamples(readFileSync(path.join(ROOT, "README.md"), "utf8"));
  let server: ServerProcess;
  const dataDir = mkdtempSync(path.join(tmpdir(), "stampd-readme-"));

  beforeAll(async () => {
    // The Quick start's embedded database, whatever DATABASE_URL the suite runs with.
    const database = { kind: "pglite" as const, env: { DATA_DIR: dataDir }, drop: async () => {} };
    // A port of its own rather than 0, so that the links in answers (PUBLIC_BASE_URL's default) are real.
    server = await spawnServer({ PORT: String(await freePort()) }, { database, ready: /try: +curl -s -X POST[^\n]*\n/ });
  }, SLOW_START_MS);
  afterAll(async () => {
    await server?.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("finds the examples: curl and `npm run -s stampd` commands, each with its answer", () => {
    const commands = examples.filter((e) => !isAssignment(e.command));
    expect(commands.length).toBeGreaterThanOrEqual(15);
    for (const e of commands) {
      // `npm run` without -s prints its own banner before the command's JSON.
      expect(e.command, `README.md:${e.line}`).toMatch(/^(curl -s |npm run -s stampd -- )/);
      expect(e.answer, `README.md:${e.line}: ${e.command}`).toBeDefined();
    }
  });

  it(
    "prints the answers they get",
    () => {
      const port = new URL(server.url).port;
      const local = (s: string) => s.replaceAll("localhost:3000", `localhost:${port}`);
      const env: Record<string, string> = { ...(process.env as Record<string, string>), DATA_DIR: dataDir };
      delete env.DATABASE_URL;
      env.CODE = /auth_code: +(\S+)/.exec(server.stdout())![1]!;
      const assignments: string[] = [];
      const mismatches: string[] = [];
      for (const e of examples) {
        if (isAssignment(e.command)) {
          assignments.push(local(e.command));
          continue;
        }
        const output = execFileSync("bash", ["-c", [...assignments, local(e.command)].join("\n")], {
          cwd: ROOT,
          env,
          encoding: "utf8",
        }).trim();
        if (/\bapikey create\b/.test(e.command)) env.KEY = JSON.parse(output).key;
        if (e.answer !== undefined && !answerPattern(local(e.answer)).test(output))
          mismatches.push(`README.md:${e.line}: ${e.command}\n  printed: ${e.answer}\n  got:     ${output}`);
      }
      expect(mismatches.join("\n")).toBe("");
    },
    5 * 60_000,
  );
});
