// What a newcomer meets in the first hour: the `stampd` command without arguments, its version,
// the installed bin in a checkout that was never built.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stampd } from "./support/cli.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const { version } = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));
const scratch = mkdtempSync(path.join(tmpdir(), "stampd-first-hour-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("the stampd command", () => {
  it("without a command prints its help and exits 2, with nothing else", async () => {
    const r = await stampd([], { DATA_DIR: scratch });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^Usage: stampd \[options\] \[command\]/);
    expect(r.stderr).not.toContain("outputHelp");
  });

  it("prints its version with --version", async () => {
    const r = await stampd(["--version"], { DATA_DIR: scratch });
    expect(r).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
  });

  /** A copy of the checkout's layout without dist/ (and, if asked, without src/ and tsx). */
  function checkout(name: string, withSources: boolean): string {
    const dir = path.join(scratch, name);
    mkdirSync(path.join(dir, "bin"), { recursive: true });
    copyFileSync(path.join(ROOT, "bin/stampd.js"), path.join(dir, "bin/stampd.js"));
    copyFileSync(path.join(ROOT, "package.json"), path.join(dir, "package.json"));
    if (withSources) for (const d of ["src", "node_modules", "prisma"]) symlinkSync(path.join(ROOT, d), path.join(dir, d));
    return dir;
  }
  const bin = (dir: string, ...args: string[]) =>
    spawnSync(process.execPath, [path.join(dir, "bin/stampd.js"), ...args], { encoding: "utf8", env: { PATH: process.env.PATH } });

  it("runs from the sources through tsx in a checkout that was not built (`npx stampd`)", () => {
    const r = bin(checkout("unbuilt", true), "--version");
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, stdout: `${version}\n`, stderr: "" });
  });

  it("says what to do, in one line and without a stack trace, when there is nothing to run", () => {
    const r = bin(checkout("empty", false), "--version");
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^stampd: .*npm run build.*\n$/);
  });
});
