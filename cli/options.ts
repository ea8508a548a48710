/** Option parsing shared by the `hanzonode parity ...` commands. */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { defaultStorePath } from "../parity/store/diff-store.js";

export const DEFAULT_STATE_DIR = ".hanzonode";
export const DEFAULT_CHECKLIST = "parity/checklist.yaml";

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "24h", "30m", "7d", "90s", "2w", or an ISO date/time; returns the epoch-ms start of the window. */
export function parseSince(text: string, now: number = Date.now()): number {
  const m = /^(\d+(?:\.\d+)?)\s*([smhdw])$/.exec(text.trim());
  if (m) return now - Number(m[1]) * (UNIT_MS[m[2]!] ?? 0);
  const at = Date.parse(text);
  if (Number.isNaN(at)) throw new Error(`--since ${JSON.stringify(text)}: use a duration like 24h, 30m, 7d or an ISO date`);
  return at;
}

/** The store: a SQLite file path (resolved), or a postgres:// URL as given. */
export function storePathFrom(argv: { store?: unknown; stateDir?: unknown }): string {
  if (typeof argv.store === "string" && /^postgres(ql)?:\/\//i.test(argv.store)) return argv.store;
  if (typeof argv.store === "string" && argv.store.length > 0) return resolve(argv.store);
  return resolve(defaultStorePath(typeof argv.stateDir === "string" ? argv.stateDir : DEFAULT_STATE_DIR));
}

export function stateDirFrom(argv: { stateDir?: unknown }): string {
  return resolve(typeof argv.stateDir === "string" ? argv.stateDir : DEFAULT_STATE_DIR);
}

/** The checklist named by --checklist, or the default one when it exists, else none. */
export function checklistPathFrom(argv: { checklist?: unknown }, required = false): string | undefined {
  if (typeof argv.checklist === "string") return resolve(argv.checklist);
  if (existsSync(DEFAULT_CHECKLIST) || required) return resolve(DEFAULT_CHECKLIST);
  return undefined;
}

/** "1", "phase1", "later" -> the phase name of the method table. */
export function phaseName(text: string): "phase1" | "phase2" | "phase3" | "phase4" | "later" {
  const t = text.trim().toLowerCase();
  const name = /^[1-4]$/.test(t) ? `phase${t}` : t;
  if (name === "phase1" || name === "phase2" || name === "phase3" || name === "phase4" || name === "later") return name;
  throw new Error(`--phase ${JSON.stringify(text)}: use 1, 2, 3, 4 (or phase1..phase4) or later`);
}
