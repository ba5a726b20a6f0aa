// The whole configuration, from the environment only, validated once at start.
import { isIP } from "node:net";
import { z } from "zod";
import { getCountries, type CountryCode } from "libphonenumber-js";
import { timeZoneName } from "./input.js";

const bool = z.enum(["true", "false", "1", "0", "yes", "no"]).transform((v) => v === "true" || v === "1" || v === "yes");

/** An IP address or CIDR block, e.g. `10.0.0.0/8`. */
const isAddressOrBlock = (entry: string) => {
  const [address = "", bits, ...rest] = entry.split("/");
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  return bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (version === 4 ? 32 : 128));
};

/** `true`/`false`, or the load balancers' addresses: trust X-Forwarded-* only from those. */
const trustProxy = z.union([
  bool,
  z
    .string()
    .transform((v) => v.split(",").map((a) => a.trim()))
    .refine((list) => list.every(isAddressOrBlock), "true, false, or comma-separated IP addresses or CIDR blocks"),
]);

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  // Loopback unless the operator opens it up (the Docker image sets 0.0.0.0): the first start
  // prints the demo store's secrets, and a laptop's server need not answer the whole network.
  HOST: z.string().min(1).default("127.0.0.1"),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must start with postgres:// or postgresql://")
    .optional(),
  DATA_DIR: z.string().min(1).default("./data"),
  PUBLIC_BASE_URL: z.url().optional(),
  TIME_ZONE: timeZoneName.default("Asia/Seoul"),
  PHONE_REGION: z
    .string()
    .refine((c) => (getCountries() as string[]).includes(c), "not a country code known to libphonenumber")
    .default("KR")
    .transform((c) => c as CountryCode),
  PHONE_FOREIGN: bool.default(false),
  ADMIN_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  WEBHOOK_ALLOW_PRIVATE: bool.default(false),
  DAILY_LIMIT_DEFAULT: z.coerce.number().int().min(1).default(10_000),
  POINT_COUNT_MAX: z.coerce.number().int().min(1).max(1_000_000_000).default(1_000_000),
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  // Batches of saves and uses in flight at once on PostgreSQL (src/ledger/group-commit.ts).
  GROUP_COMMIT_IN_FLIGHT: z.coerce.number().int().min(1).max(200).default(2),
  BODY_LIMIT: z.coerce
    .number()
    .int()
    .min(1024)
    .default(64 * 1024),
  TRUST_PROXY: trustProxy.default(false),
  // Seconds between sweeps of the expiry sweeper when it finds nothing more to do; 0: none runs here.
  EXPIRY_SWEEP_SECONDS: z.coerce.number().int().min(0).max(86_400).default(60),
});

export type Config = z.infer<typeof schema> & { publicBaseUrl: string };

/** The names of every variable read, for the documentation's checks. */
export const CONFIG_VARIABLES = Object.keys(schema.shape);

export class ConfigError extends Error {}

/** Reads the configuration; a bad value throws one line naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means "not set", as in most .env files.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ""));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`invalid configuration: ${issue.path.join(".")}: ${issue.message}`);
  }
  const c = parsed.data;
  const host = ["0.0.0.0", "::", "127.0.0.1", "::1"].includes(c.HOST) ? "localhost" : c.HOST;
  const publicBaseUrl = (c.PUBLIC_BASE_URL ?? `http://${host}:${c.PORT}`).replace(/\/+$/, "");
  return { ...c, publicBaseUrl };
}
