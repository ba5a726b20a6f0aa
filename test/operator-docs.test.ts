// The operator's references stay complete: .env.example and the configuration table of
// docs/operations.md name every variable the server reads, and nothing else.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CONFIG_VARIABLES, loadConfig } from "../src/platform/config.js";

const read = (file: string) => readFileSync(path.resolve(import.meta.dirname, "..", file), "utf8");

describe(".env.example", () => {
  const entries = read(".env.example")
    .split("\n")
    .filter((l) => /^[A-Z_]+=/.test(l))
    .map((l) => l.split("=", 2) as [string, string]);

  it("lists every variable once", () => {
    expect(entries.map(([name]) => name).sort()).toEqual([...CONFIG_VARIABLES].sort());
  });

  it("is a valid configuration as it stands", () => {
    expect(() => loadConfig(Object.fromEntries(entries))).not.toThrow();
  });
});

describe("docs/operations.md", () => {
  it("has a row for every variable in its configuration table", () => {
    const section = read("docs/operations.md")
      .split(/^## /m)
      .find((s) => s.startsWith("Configuration"))!;
    const rows = [...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]!);
    expect(rows.sort()).toEqual([...CONFIG_VARIABLES].sort());
  });
});
