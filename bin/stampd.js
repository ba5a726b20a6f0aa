#!/usr/bin/env node
// The installed command: runs the compiled CLI (`npm run build` makes dist/). In a checkout that was
// not built (`npx stampd` after `npm install`), it runs the sources through tsx, a dev dependency, as
// `npm run stampd` does.
import { existsSync } from "node:fs";

const compiled = new URL("../dist/cli/main.js", import.meta.url);
const source = new URL("../src/cli/main.ts", import.meta.url);

/** tsx's API, or null where it is not installed (production dependencies only). */
async function tsx() {
  try {
    return await import("tsx/esm/api");
  } catch {
    return null;
  }
}

if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const api = existsSync(source) ? await tsx() : null;
  if (api) await api.tsImport(source.href, import.meta.url);
  else {
    process.stderr.write(
      "stampd: dist/ is missing: run `npm run build` first (in a checkout: `npm install`, then `npm run -s stampd -- …`)\n",
    );
    process.exitCode = 1;
  }
}
