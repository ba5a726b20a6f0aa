// The original Stampang README's own Python (requests) and Ruby (Faraday) examples, run unchanged
// against stampd but for the host and the placeholders, get the documented answers. Each runs when
// its interpreter and library are installed (.ci/run installs them).
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./support/server.js";

const FIXTURES = "test/fixtures/seed";

function works(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: "ignore" }).status === 0;
}
const python = ["python3", "/usr/bin/python3"].find((p) => works(p, ["-c", "import requests"]));
const ruby = works("ruby", ["-e", "require 'faraday'; require 'json'"]) ? "ruby" : undefined;

let s: TestServer;
let store: { id: number; auth_code: string };
beforeAll(async () => {
  s = await startTestServer();
  store = await s.services.stores.create({ name: "Seed Cafe", loginId: "seedcafe" });
});
afterAll(() => s?.stop());

/** The example's code with the host and the placeholders replaced, and its parsed result printed. */
function example(file: string, path?: string): string {
  let code = readFileSync(`${FIXTURES}/${file}`, "utf8")
    .replaceAll("https://stampang.com", s.url)
    .replaceAll("상점 고유번호", String(store.id))
    .replaceAll("인증키", store.auth_code)
    .replaceAll("고객 휴대폰 번호", "010-5555-0001");
  if (path) code = code.replace(/url = "([^"]*)\/api\/open\/\w+"/, `url = "$1/api/open/${path}"`);
  return file.endsWith(".py")
    ? `${code}\nimport json\nprint(json.dumps(jdata, ensure_ascii=False))\n`
    : `require 'faraday'\nrequire 'json'\n${code}\nputs JSON.generate(jdata)\n`;
}

/** Runs the example in a child process (asynchronously: the server answers from this process). */
async function run(interpreter: string, code: string): Promise<any> {
  const flag = interpreter === "ruby" ? "-e" : "-c";
  const { stdout } = await promisify(execFile)(interpreter, [flag, code], { encoding: "utf8" });
  return JSON.parse(stdout);
}

describe.each([
  ["python", python, "py"],
  ["ruby", ruby, "rb"],
] as const)("the seed's %s examples", (_, interpreter, ext) => {
  it.runIf(interpreter)("save, use (the URL its comment gives), history and balance answer as documented", async () => {
    const before =
      (await s.form("/api/open/balance", { id: store.id, auth_code: store.auth_code, device: "openapi", number: "01055550001" }))
        .total_count ?? 0;
    const saved = await run(interpreter!, example(`save.${ext}`));
    expect(saved).toEqual({ result: true, msg: "ok", member_no: expect.any(Number), total_point: before + 2 });
    const used = await run(interpreter!, example(`save.${ext}`, "use"));
    expect(used).toEqual({ result: true, msg: "ok", member_no: saved.member_no, total_point: before });
    const history = await run(interpreter!, example(`history.${ext}`));
    expect(history.result).toBe(true);
    expect(history.list.slice(0, 2).map((r: any) => [r.type, r.count, r.content, r.login_id])).toEqual([
      [1, 2, "차감", "seedcafe"],
      [0, 2, "적립", "seedcafe"],
    ]);
    const balance = await run(interpreter!, example(`balance.${ext}`));
    expect(balance).toEqual({ result: true, msg: "ok", member_no: saved.member_no, total_count: before });
  });
});
