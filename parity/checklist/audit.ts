/** The checklist audit log: one JSON line per change (when, who, why, old -> new) in the state dir. */
import { appendFile, mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";

export interface AuditEntry {
  when: string;
  who: string;
  why: string;
  file: string;
  /** What changed: `methods.<key>`, `phases.<phase>`, `default`, `authOwner`, `nodeOwner`. */
  target: string;
  old: unknown;
  new: unknown;
  /**
   * True when the change was applied past a gate that did not pass (`parity promote --force`); the
   * reason text (`why`) still says which checks failed. Lines written before this field read as false.
   */
  forced: boolean;
}

export const AUDIT_FILE = "audit.jsonl";

export function auditPath(stateDir: string): string {
  return join(stateDir, AUDIT_FILE);
}

export async function appendAudit(stateDir: string, entry: AuditEntry): Promise<void> {
  await mkdir(stateDir, { recursive: true });
  await appendFile(auditPath(stateDir), JSON.stringify(entry) + "\n", "utf8");
}

export async function readAudit(stateDir: string): Promise<AuditEntry[]> {
  let text: string;
  try {
    text = await readFile(auditPath(stateDir), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  return text
    .split("\n")
    .filter((l) => l.trim().length > 0)
    .map((l) => {
      const entry = JSON.parse(l) as Omit<AuditEntry, "forced"> & { forced?: unknown };
      return { ...entry, forced: entry.forced === true };
    });
}
