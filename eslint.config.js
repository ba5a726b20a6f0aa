// ESLint with typescript-eslint's type-aware recommended rules over the TypeScript tree (typed by
// tsconfig.check.json: src, test, bench, scripts), the plain recommended rules over the JavaScript
// files; Prettier formats (eslint-config-prettier turns off the rules that would fight it).
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import prettier from "eslint-config-prettier";

/**
 * The layers of src/, lowest first: each may import those below it, never those above, and the
 * two APIs never each other. The ledger knows no listener (webhooks, metrics) and no API.
 */
const TOP = ["**/app.js", "**/server.js", "**/services.js", "**/cli/**", "**/admin/**"];
const APIS = ["**/stampang/**", "**/vivoldi/**"];
const DOMAINS = ["**/ledger/**", "**/webhooks/**", "**/stores/**", ...APIS];
const LAYERS = [
  { dir: "src/platform", forbidden: [...TOP, ...DOMAINS], why: "the platform knows no domain" },
  {
    dir: "src/ledger",
    forbidden: [...TOP, ...DOMAINS.filter((d) => d !== "**/ledger/**"), "**/platform/metrics.js", "**/platform/plugins/**"],
    why: "the ledger knows nothing above it: no API, webhook or metric",
  },
  { dir: "src/webhooks", forbidden: [...TOP, ...APIS], why: "webhooks know neither API" },
  { dir: "src/stores", forbidden: [...TOP, ...APIS], why: "stores know neither API" },
  { dir: "src/stampang", forbidden: [...TOP, "**/vivoldi/**"], why: "the OPEN API knows not the stamp API" },
  { dir: "src/vivoldi", forbidden: [...TOP, "**/stampang/**"], why: "the stamp API knows not the OPEN API" },
  { dir: "src/console", forbidden: TOP, why: "the console uses the domains' services, and nothing above it uses the console but the app" },
];

function layers() {
  return LAYERS.map(({ dir, forbidden, why }) => ({
    files: [`${dir}/**/*.{ts,tsx}`],
    rules: { "no-restricted-imports": ["error", { patterns: [{ group: forbidden, message: `Imports point one way: ${why}.` }] }] },
  }));
}

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "src/generated/", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: ["./tsconfig.check.json"], tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    rules: {
      // Fastify's hooks and plugins are async functions by convention (Fastify then neither waits
      // for a callback nor mixes the two styles), whether or not they await anything.
      "@typescript-eslint/require-await": "off",
      // A leading underscore names what is left unused on purpose (an omitted property, a parameter).
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  ...layers(),
  {
    // Tests read the answers they check as `any` (parsed JSON); their assertions check the shape.
    files: ["test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    extends: [tseslint.configs.disableTypeChecked],
    // Node's globals that the JavaScript files use (TypeScript checks them in .ts files).
    languageOptions: { globals: { process: "readonly", console: "readonly", Buffer: "readonly", URL: "readonly" } },
  },
  prettier,
);
