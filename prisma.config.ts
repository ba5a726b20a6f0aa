// Prisma CLI configuration. Only `prisma generate` is used by the project; migrations are
// applied by the server itself (src/platform/db/migrate.ts), so no datasource URL is needed here.
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
});
