/**
 * How a frozen release's protocol.schema.json is laid out: the envelope pretty-printed, one line per
 * definition and per method. Small enough to keep a contract per release in git, and a release-to-release
 * diff still shows exactly which definitions changed.
 */
export function stringifySchema(schema: Record<string, unknown>): string {
  const lines: string[] = ["{"];
  const entries = Object.entries(schema);
  entries.forEach(([key, value], i) => {
    const comma = i < entries.length - 1 ? "," : "";
    if ((key === "definitions" || key === "methods") && value && typeof value === "object") {
      const inner = Object.entries(value as Record<string, unknown>);
      lines.push(`  ${JSON.stringify(key)}: {`);
      inner.forEach(([k, v], j) => lines.push(`    ${JSON.stringify(k)}: ${JSON.stringify(v)}${j < inner.length - 1 ? "," : ""}`));
      lines.push(`  }${comma}`);
    } else {
      lines.push(`  ${JSON.stringify(key)}: ${JSON.stringify(value)}${comma}`);
    }
  });
  lines.push("}");
  return lines.join("\n") + "\n";
}
