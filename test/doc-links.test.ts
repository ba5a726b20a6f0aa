// Every relative link of README.md and docs/ leads to a file of the repository (and to a heading
// of it, when it names one, or to lines that exist, for `#L12` or `#L12-L15` into another file),
// so that the documents work in a clone. The contracts live outside the repository
// (shared/spec/); docs/contracts/ holds the copies the documents link to.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..");
const SPEC_DIR = path.resolve(ROOT, "../shared/spec");
const COPY_NOTE = /^> Copied verbatim from the project's contract `shared\/spec\/([\w-]+\.md)`[^\n]*\n\n/;

/** The repository's Markdown documents, relative to its root. */
function documents(): string[] {
  const inDocs = readdirSync(path.join(ROOT, "docs"), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".md"));
  return ["README.md", ...inDocs.map((f) => path.join("docs", f))];
}

/** Targets of Markdown links and of `src`/`href` attributes that are not URLs or in-page anchors. */
function relativeLinks(markdown: string): string[] {
  const targets = [...markdown.matchAll(/\]\(([^)\s]+)\)|\b(?:src|href)="([^"]+)"/g)].map((m) => (m[1] ?? m[2])!);
  return targets.filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t) && !t.startsWith("#"));
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
const anchor = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
const anchorsOf = (markdown: string) => new Set([...markdown.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchor(m[1]!)));
/** A link to lines of a source file, as GitHub writes it: `L12` or `L12-L15`. */
const LINES = /^L(\d+)(?:-L(\d+))?$/;
const lineCount = (source: string) => source.replace(/\n$/, "").split("\n").length;

describe("links in the documents", () => {
  it.each(documents())("%s links only to files of the repository", (doc) => {
    const text = readFileSync(path.join(ROOT, doc), "utf8");
    for (const link of relativeLinks(text)) {
      const [file, fragment] = link.split("#") as [string, string | undefined];
      const target = path.resolve(path.dirname(path.join(ROOT, doc)), decodeURIComponent(file));
      expect(path.relative(ROOT, target).startsWith(".."), `${doc}: ${link} leaves the repository`).toBe(false);
      expect(existsSync(target), `${doc}: ${link} does not exist`).toBe(true);
      if (!fragment) continue;
      const linked = readFileSync(target, "utf8");
      const lines = target.endsWith(".md") ? null : LINES.exec(fragment);
      if (lines) {
        const [first, last] = [Number(lines[1]), Number(lines[2] ?? lines[1])];
        expect(1 <= first && first <= last && last <= lineCount(linked), `${doc}: ${link} (${lineCount(linked)} lines)`).toBe(true);
      } else expect([...anchorsOf(linked)], `${doc}: ${link}`).toContain(fragment);
    }
  });

  it("finds the links (the contracts among them)", () => {
    const links = relativeLinks(readFileSync(path.join(ROOT, "README.md"), "utf8"));
    expect(links).toEqual(expect.arrayContaining(["docs/contracts/stampang-open-api.md", "docs/contracts/vivoldi-stamp-api.md"]));
  });
});

describe("docs/contracts", () => {
  const copies = readdirSync(path.join(ROOT, "docs/contracts"));

  it("says where each copy comes from", () => {
    for (const copy of copies) expect(COPY_NOTE.exec(readFileSync(path.join(ROOT, "docs/contracts", copy), "utf8"))?.[1], copy).toBe(copy);
  });

  // Only where the project's shared/spec/ sits beside the repository (not in a clone).
  it.skipIf(!existsSync(SPEC_DIR))("holds the contracts as they are in shared/spec/", () => {
    for (const copy of copies) {
      const text = readFileSync(path.join(ROOT, "docs/contracts", copy), "utf8").replace(COPY_NOTE, "");
      expect(text, copy).toBe(readFileSync(path.join(SPEC_DIR, copy), "utf8"));
    }
  });
});
