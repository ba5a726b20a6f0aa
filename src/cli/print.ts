// A command's result as printed: JSON with --json (one object, or an array for lists), otherwise
// `key: value` lines, or for a report a table.

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

/**
 * A list as a table: a header of its keys (the names --json prints), then one line per item,
 * columns padded to their widest cell and numbers aligned right; `(none)` for an empty list.
 */
export function formatTable(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return "(none)\n";
  const keys = Object.keys(rows[0]!);
  const cells = [keys, ...rows.map((r) => keys.map((k) => String(r[k])))];
  const widths = keys.map((_, i) => Math.max(...cells.map((line) => line[i]!.length)));
  const right = keys.map((k) => typeof rows[0]![k] === "number");
  const line = (cellsOfLine: string[]) =>
    cellsOfLine
      .map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return `${cells.map(line).join("\n")}\n`;
}
