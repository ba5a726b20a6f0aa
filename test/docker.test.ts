// The Docker files (operations.md, "Docker"), checked without a Docker engine: the Dockerfile is
// parsed and linted, its stages and runtime image inspected, its HEALTHCHECK command run against a
// real server; docker-compose.yml is parsed and its wiring checked against the server's config.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Copy, DockerfileParser, JSONInstruction, type Instruction } from "dockerfile-ast";
import { validate } from "dockerfile-utils";
import semver from "semver";
import { parse as parseYaml } from "yaml";
import { loadConfig } from "../src/platform/config.js";
import { MIGRATIONS_DIR } from "../src/platform/db/migrate.js";
import { startTestServer, type TestServer } from "./support/server.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const read = (file: string) => readFileSync(path.join(ROOT, file), "utf8");
const pkg = JSON.parse(read("package.json"));
const dockerfileText = read("Dockerfile");
/** The Node.js major of the Docker image and of the smoke test: the current LTS line. */
const CURRENT_LTS = 24;

interface Stage {
  image: string;
  name?: string;
  instructions: Instruction[];
}

/** The Dockerfile's stages, each with its instructions after FROM. */
function stages(): Stage[] {
  const result: Stage[] = [];
  for (const i of DockerfileParser.parse(dockerfileText).getInstructions()) {
    const args = words(i);
    if (i.getKeyword() === "FROM") result.push({ image: args[0]!, name: args[2], instructions: [] });
    else result.at(-1)!.instructions.push(i);
  }
  return result;
}

const words = (i: Instruction) => i.getArguments().map((a) => a.getValue());
const all = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.getKeyword() === keyword);
const one = (stage: Stage, keyword: string) => {
  const found = all(stage, keyword);
  expect(found, keyword).toHaveLength(1);
  return found[0]!;
};
/** Exec-form arguments (`["a", "b"]`) of an instruction, or of what follows HEALTHCHECK's CMD. */
const execForm = (i: Instruction) => JSON.parse(i.getArgumentsContent()!.replace(/^CMD\s+/, "")) as string[];
/** `ENV` values of a stage. */
const envOf = (stage: Stage) => Object.fromEntries(all(stage, "ENV").flatMap((i) => words(i).map((w) => w.split("=") as [string, string])));
/** `COPY` sources and destination, with the stage it copies from. */
const copies = (stage: Stage) =>
  all(stage, "COPY").map((i) => {
    const paths = words(i).filter((a) => !a.startsWith("--"));
    return { from: (i as Copy).getFromFlag()?.getValue(), sources: paths.slice(0, -1), dest: paths.at(-1)! };
  });

describe("Dockerfile", () => {
  const built = stages();
  const runtime = built.at(-1)!;
  const workdir = words(one(runtime, "WORKDIR"))[0]!;
  const inImage = (p: string) => path.posix.resolve(workdir, p);
  const stageNamed = (name: string) => built.find((s) => s.name === name)!;

  it("lints clean", () => {
    expect(validate(dockerfileText)).toEqual([]);
  });

  it("builds in one stage (npm ci, prisma generate, tsc) and runs from a slim Node image", () => {
    expect(built.length).toBeGreaterThanOrEqual(2);
    const [, , variant] = /^node:(\d+)-(\w+)$/.exec(runtime.image) ?? [];
    expect(variant).toBe("slim");

    const dist = copies(runtime).find((c) => c.dest === "./dist")!;
    const build = stageNamed(dist.from!);
    const runs = all(build, "RUN").map((i) => i.getArgumentsContent());
    expect(runs).toEqual(expect.arrayContaining([expect.stringMatching(/^npm ci\b/), "npm run build"]));
    expect(pkg.scripts.build).toMatch(/npm run generate && tsc\b/);
    expect(pkg.scripts.generate).toContain("prisma generate");
  });

  it("builds and runs on the current Node LTS, which package.json's engines admits", () => {
    // Node 24 is the active LTS in 2026 (Node 20 reached end of life in April 2026); every stage
    // uses the same image so that what is built is what runs. scripts/smoke.ts runs the built
    // server on this same major in .ci/run.
    expect(new Set(built.map((s) => s.image))).toEqual(new Set([`node:${CURRENT_LTS}-slim`]));
    expect(semver.satisfies(`${CURRENT_LTS}.0.0`, pkg.engines.node), pkg.engines.node).toBe(true);
    // The suite itself runs on this machine's Node: engines must admit it too.
    expect(semver.satisfies(process.version, pkg.engines.node), `${process.version} in ${pkg.engines.node}`).toBe(true);
  });

  it("ships production dependencies only", () => {
    const modules = copies(runtime).find((c) => c.dest === "./node_modules")!;
    const install = all(stageNamed(modules.from!), "RUN")
      .map((i) => i.getArgumentsContent())
      .join("\n");
    expect(install).toMatch(/npm ci\b[^\n]*--omit=dev/);
    for (const tool of ["prisma", "typescript", "tsx", "vitest"]) expect(pkg.dependencies[tool], tool).toBeUndefined();
  });

  it("puts the compiled server, the migrations and the package where the code looks for them", () => {
    const destination = (source: string) => inImage(copies(runtime).find((c) => c.sources.includes(source))!.dest);
    expect(destination("/app/dist")).toBe(inImage("dist"));
    expect(destination("package.json")).toBe(workdir);
    expect(destination("bin")).toBe(inImage("bin"));
    // src/platform/db/migrate.ts finds the migrations relative to its own file; dist/ mirrors src/.
    const fromSrc = path.relative(path.join(ROOT, "src"), MIGRATIONS_DIR);
    expect(destination("prisma/migrations")).toBe(path.posix.resolve(inImage("dist"), fromSrc));
  });

  it("runs as an unprivileged user", () => {
    const user = words(one(runtime, "USER"))[0]!;
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    const order = runtime.instructions.map((i) => i.getKeyword());
    expect(order.lastIndexOf("USER")).toBeLessThan(order.indexOf("CMD"));
    expect(order.lastIndexOf("RUN")).toBeLessThan(order.lastIndexOf("USER"));
  });

  it("starts `stampd serve`, with `stampd` on the PATH as the package's bin", () => {
    const cmd = one(runtime, "CMD");
    expect(cmd).toBeInstanceOf(JSONInstruction);
    expect(execForm(cmd)).toEqual(["stampd", "serve"]);
    expect(pkg.bin).toEqual({ stampd: "bin/stampd.js" });
    const link = all(runtime, "RUN")
      .map((i) => i.getArgumentsContent())
      .join("\n");
    expect(link).toContain(`ln -s ${inImage(pkg.bin.stampd)} /usr/local/bin/stampd`);
    // The bin runs what `npm run build` compiles: src/cli/main.ts -> dist/cli/main.js.
    expect(read("bin/stampd.js")).toContain('new URL("../dist/cli/main.js", import.meta.url)');
    expect(existsSync(path.join(ROOT, "src/cli/main.ts"))).toBe(true);
    const tsconfig = JSON.parse(read("tsconfig.json")).compilerOptions;
    expect([tsconfig.rootDir, tsconfig.outDir]).toEqual(["src", "dist"]);
  });

  it("keeps the data directory on a volume and exposes the port it listens on", () => {
    const env = envOf(runtime);
    expect(words(one(runtime, "VOLUME"))).toContain(env.DATA_DIR);
    expect(words(one(runtime, "EXPOSE"))).toEqual([env.PORT]);
    expect(env.HOST).toBe("0.0.0.0");
  });

  it("copies only files that exist and that .dockerignore lets through, and keeps secrets out", () => {
    const ignored = read(".dockerignore")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#") && !l.startsWith("!"));
    expect(ignored).toEqual(expect.arrayContaining([".env", ".git", "node_modules", "data"]));
    for (const stage of built) {
      for (const { from, sources } of copies(stage)) {
        if (from) continue;
        for (const source of sources) {
          expect(existsSync(path.join(ROOT, source)), source).toBe(true);
          expect(
            ignored.filter((p) => source === p || source.startsWith(`${p}/`)),
            source,
          ).toEqual([]);
        }
      }
    }
  });

  describe("HEALTHCHECK", () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startTestServer();
    });
    afterAll(() => s?.stop());

    const healthcheck = () => {
      const h = one(runtime, "HEALTHCHECK");
      expect(words(h)[0]).toBe("CMD");
      return execForm(h);
    };
    /** Runs the check as Docker would, in its own process; the server answers from this one. */
    const run = async (port: string) => {
      const [command, ...args] = healthcheck();
      const check = spawn(command === "node" ? process.execPath : command!, args, { env: { PORT: port }, timeout: 10_000 });
      const [code] = await once(check, "exit");
      return code;
    };

    it("asks /healthz with node, as the slim image has no curl", () => {
      const argv = healthcheck();
      expect(argv[0]).toBe("node");
      expect(argv.join(" ")).toContain("/healthz");
    });

    it("passes against a running server and fails where none answers", async () => {
      expect(await run(new URL(s.url).port)).toBe(0);
      expect(await run("1")).toBe(1);
    });
  });
});

describe("docker-compose.yml", () => {
  const compose = parseYaml(read("docker-compose.yml"));
  const { app, postgres } = compose.services;
  /** What Compose makes of `${NAME:-default}` with nothing set. */
  const interpolate = (v: string) => v.replace(/\$\{(\w+):-([^}]*)\}/g, (_, _name, fallback: string) => fallback);

  it("runs PostgreSQL 16 on a named volume, with a health check", () => {
    expect(postgres.image).toBe("postgres:16");
    const [volume, target] = postgres.volumes[0].split(":");
    expect(target).toBe("/var/lib/postgresql/data");
    expect(Object.keys(compose.volumes)).toContain(volume);
    expect([postgres.healthcheck.test].flat().join(" ")).toContain("pg_isready");
  });

  it("builds the server from this Dockerfile and starts it once the database is healthy", () => {
    expect(app.build).toBe(".");
    expect(app.depends_on).toEqual({ postgres: { condition: "service_healthy" } });
  });

  it("wires DATABASE_URL to the postgres service, in a form the server accepts", () => {
    const env = Object.fromEntries(Object.entries(app.environment as Record<string, string>).map(([k, v]) => [k, interpolate(v)]));
    const config = loadConfig(env);
    const url = new URL(config.DATABASE_URL!);
    const pg = Object.fromEntries(Object.entries(postgres.environment as Record<string, string>).map(([k, v]) => [k, interpolate(v)]));
    expect(url.hostname).toBe("postgres");
    expect(url.username).toBe(pg.POSTGRES_USER);
    expect(url.password).toBe(pg.POSTGRES_PASSWORD);
    expect(url.pathname).toBe(`/${pg.POSTGRES_DB}`);
  });

  it("publishes the port the server listens on", () => {
    const port = envOf(stages().at(-1)!).PORT;
    expect(app.ports.map((p: string) => interpolate(p).split(":").at(-1))).toContain(port);
  });
});
