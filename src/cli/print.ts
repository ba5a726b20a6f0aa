// A command's result as printed: JSON with --json (one object, or an array for lists), otherwise
// `key: value` lines.

export function formatResult(result: unknown, json: boolean): string {
  if (json) return `${JSON.stringify(result)}\n`;
  const lines: string[] = [];
  const describe = (o: unknown) =>
    Object.entries(o as Record<string, unknown>).map(
      // The values are JSON's: objects are written as JSON, the rest as they read.
      // eslint-disable-next-line @typescript-eslint/no-base-to-string
      ([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : String(v)}`,
    );
  if (Array.isArray(result)) {
    if (result.length === 0) lines.push("(none)");
    for (const item of result) lines.push(describe(item).join("  "));
  } else {
    lines.push(...describe(result));
  }
  for (const secret of ["auth_code", "key", "secret", "password"]) {
    if (result && typeof result === "object" && secret in result) lines.push(`(${secret} is shown once: keep it now)`);
  }
  return `${lines.join("\n")}\n`;
}
