// ESLint with typescript-eslint's type-aware recommended rules over the TypeScript tree (typed by
// tsconfig.check.json: src, test, bench, scripts), the plain recommended rules over the JavaScript
// files; Prettier formats (eslint-config-prettier turns off the rules that would fight it).
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import prettier from "eslint-config-prettier";

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
