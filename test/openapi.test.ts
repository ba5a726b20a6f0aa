// The OpenAPI document (operations.md, "Operations endpoints"): made from the routes' own zod
// schemas, covering every API and admin route the server has, with the OPEN API's failure codes
// and the security schemes; browsable at /docs under the server's security headers.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { operations } from "../src/admin/operations.js";
import { FAILURES } from "../src/stampang/answers.js";
import { startTestServer, type TestServer } from "./support/server.js";

let s: TestServer;
let doc: any;

beforeAll(async () => {
  s = await startTestServer({ ADMIN_TOKEN: "admin-token-for-docs-0123" });
  const res = await fetch(`${s.url}/docs/json`);
  expect(res.status).toBe(200);
  doc = await res.json();
});
afterAll(() => s?.stop());

/** Every route the server answers, as [METHOD, /path/{param}], read from Fastify's route tree. */
function serverRoutes(): [string, string][] {
  const routes: [string, string][] = [];
  const stack: string[] = [];
  for (const line of s.app.printRoutes({ commonPrefix: false }).split("\n")) {
    const m = /^([│ ]*)[├└]── (\S+)(?: \(([^)]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    const path = (stack[depth - 1] ?? "") + m[2]!;
    stack.push(path);
    for (const method of m[3]?.split(", ") ?? []) routes.push([method, path.replace(/:(\w+)/g, "{$1}")]);
  }
  return routes.filter(([method]) => method !== "HEAD");
}

/**
 * The paths a route-tree path stands for: routes that name a parameter differently at the same
 * place share one node, printed `{id}|{store}`, and each route is documented with its own name.
 */
function spellings(path: string): string[] {
  const [first, ...segments] = path.split("/");
  return segments.reduce((heads, segment) => heads.flatMap((head) => segment.split("|").map((name) => `${head}/${name}`)), [first!]);
}

describe("/docs/json", () => {
  it("is an OpenAPI 3 document of this server", () => {
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info.title).toBe("stampd");
    expect(doc.servers).toEqual([{ url: s.config.publicBaseUrl }]);
  });

  it("documents every route of the APIs, the admin API and the operations endpoints", () => {
    const documented = serverRoutes().filter(([, path]) => /^\/(api|admin)\/|^\/(healthz|readyz|metrics)$/.test(path));
    expect(documented.length).toBeGreaterThan(10);
    for (const [method, path] of documented) {
      expect(
        spellings(path).some((p) => doc.paths[p]?.[method.toLowerCase()]),
        `${method} ${path}`,
      ).toBe(true);
    }
  });

  it("leaves /docs itself out", () => {
    expect(serverRoutes().some(([, path]) => path.startsWith("/docs"))).toBe(true);
    expect(Object.keys(doc.paths).filter((p) => p.startsWith("/docs"))).toEqual([]);
  });

  it("documents each admin operation once, with its path parameters, input and bearer security", () => {
    for (const op of operations) {
      const path = op.path.replace(/:(\w+)/g, "{$1}");
      const entry = doc.paths[path]?.[op.method.toLowerCase()];
      expect(entry, op.name).toMatchObject({ tags: ["admin"], summary: op.summary, security: [{ bearer: [] }] });
      expect(Object.keys(entry.responses)).toEqual(expect.arrayContaining(["200", "400", "401", "404"]));
    }
    const set = doc.paths["/admin/stores/{id}"].patch;
    expect(set.parameters).toEqual([expect.objectContaining({ in: "path", name: "id", required: true })]);
    const fields = set.requestBody.content["application/json"].schema.properties;
    expect(fields).toHaveProperty("dailyLimit");
    expect(fields).not.toHaveProperty("id");
  });

  it("describes the bearer scheme of /admin and the APIKey header scheme of the stamp API", () => {
    expect(doc.components.securitySchemes).toEqual({
      bearer: expect.objectContaining({ type: "http", scheme: "bearer" }),
      APIKey: expect.objectContaining({ type: "apiKey", in: "header", name: "Authorization" }),
    });
  });

  it("describes the OPEN API's parameters and every failure code of the spec's table", () => {
    const save = doc.paths["/api/open/save"].post;
    expect(save.parameters.map((p: any) => p.name)).toEqual(expect.arrayContaining(["id", "auth_code", "device", "number", "count"]));
    const codes = Object.values(FAILURES).map((f) => f.code);
    expect(doc.components.schemas.OpenApiFailure.properties.code.enum).toEqual(codes);
    for (const f of Object.values(FAILURES)) expect(save.description).toContain(`| \`${f.code}\` | ${f.msg} |`);
    const answer = JSON.stringify(save.responses["200"]);
    expect(answer).toContain("#/components/schemas/OpenApiFailure");
  });
});

describe("/docs", () => {
  it("serves Swagger UI whose scripts the security policy allows", async () => {
    const res = await fetch(`${s.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    const html = await res.text();
    const scripts = [...html.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    // Scripts come from this server (CSP script-src 'self'), none inline.
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(html).not.toMatch(/<script>(?!\s*<\/script>)/);
    for (const src of scripts) {
      const js = await fetch(new URL(src, `${s.url}/docs`));
      expect(js.status, src).toBe(200);
      expect((await js.text()).length, src).toBeGreaterThan(0);
    }
    const init = await (await fetch(`${s.url}/docs/static/swagger-initializer.js`)).text();
    expect(init).toContain("./json");
  });
});
