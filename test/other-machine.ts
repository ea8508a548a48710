/**
 * Rewrites recorded fixtures as if another machine had recorded them: another host name, address,
 * kernel release, OS family and CPU architecture in every presence row (the legacy's own `self` row
 * and each client's). Tests replay such a copy next to the original and expect the same verdicts, so
 * the suite cannot quietly depend on the machine that made the recordings.
 *
 * Deliberately independent of the comparison rules: it knows what another machine looks like, not
 * which paths the rules exempt.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";

export interface MachineFacts {
  host: string;
  ip: string;
  platform: string;
  deviceFamily: string;
  modelIdentifier: string;
}

/** A machine nothing in this workplace looks like. */
export const OTHER_MACHINE: MachineFacts = {
  host: "build-agent-7.example.internal",
  ip: "198.51.100.23",
  platform: "macos 15.4.1",
  deviceFamily: "Mac",
  modelIdentifier: "Mac15,6",
};

function isPresenceRow(v: Record<string, unknown>): boolean {
  return typeof v.mode === "string" && (typeof v.host === "string" || typeof v.platform === "string" || typeof v.text === "string");
}

function rewriteRow(row: Record<string, unknown>, to: MachineFacts): number {
  let n = 0;
  const oldHost = row.host;
  const oldIp = row.ip;
  for (const key of ["host", "ip", "platform", "deviceFamily", "modelIdentifier"] as const) {
    if (typeof row[key] === "string" && row[key] !== to[key]) {
      row[key] = to[key];
      n++;
    }
  }
  if (typeof row.text === "string" && typeof oldHost === "string") {
    const where = typeof oldIp === "string" ? `${oldHost} (${oldIp})` : oldHost;
    const text = row.text.replace(where, typeof oldIp === "string" ? `${to.host} (${to.ip})` : to.host);
    if (text !== row.text) {
      row.text = text;
      n++;
    }
  }
  return n;
}

/** Rewrites every presence row below `value` in place; returns how many facts changed. */
export function rewriteMachineFacts(value: unknown, to: MachineFacts = OTHER_MACHINE): number {
  if (value === null || typeof value !== "object") return 0;
  let n = 0;
  if (Array.isArray(value)) {
    for (const v of value) n += rewriteMachineFacts(v, to);
    return n;
  }
  const obj = value as Record<string, unknown>;
  if (isPresenceRow(obj)) n += rewriteRow(obj, to);
  for (const v of Object.values(obj)) n += rewriteMachineFacts(v, to);
  return n;
}

/**
 * Writes a copy of each fixture into `dir` with its server frames' machine facts rewritten. Client
 * frames stay as recorded: they are what the replay sends. Returns the copies and the count of facts
 * rewritten (a test asserts it is not zero, so the copy really differs).
 */
export async function copyAsRecordedElsewhere(files: readonly string[], dir: string, to: MachineFacts = OTHER_MACHINE): Promise<{ files: string[]; rewritten: number }> {
  await mkdir(dir, { recursive: true });
  let rewritten = 0;
  const out: string[] = [];
  for (const file of files) {
    const lines = (await readFile(file, "utf8")).split("\n").filter(Boolean);
    const copied = lines.map((line) => {
      const record = JSON.parse(line) as { kind?: string; dir?: string; frame?: unknown };
      if (record.kind === "frame" && record.dir === "s2c") rewritten += rewriteMachineFacts(record.frame, to);
      return JSON.stringify(record);
    });
    const target = join(dir, basename(file));
    await writeFile(target, copied.join("\n") + "\n");
    out.push(target);
  }
  return { files: out, rewritten };
}
