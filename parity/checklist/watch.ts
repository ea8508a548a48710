/**
 * Watches the checklist file and hands over a new RoutingTable when a valid change lands. An invalid
 * change is reported and the previous table stays active. Watches the directory (editors replace the
 * file by rename) and also polls, so a change applies within well under a second either way.
 */
import { watch, type FSWatcher } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { ChecklistError } from "./errors.js";
import { parseChecklist } from "./load.js";
import type { RoutingTable } from "./table.js";

export interface ChecklistWatcher {
  close(): void;
  /** Re-reads the file now (the watcher calls this itself). */
  check(): Promise<void>;
}

export interface WatchHandlers {
  onTable(table: RoutingTable): void;
  onError(error: ChecklistError): void;
}

/** How long an unparseable file must stay unchanged before it is reported. */
const SETTLE_MS = 100;

export function watchChecklist(file: string, initialText: string | undefined, handlers: WatchHandlers, pollMs = 250): ChecklistWatcher {
  let lastText = initialText;
  let lastStamp = "";
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;

  const check = async (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        let text: string;
        try {
          text = await readFile(file, "utf8");
        } catch (err) {
          // A rename-in-progress can briefly hide the file; the next event or poll retries.
          if ((err as NodeJS.ErrnoException).code !== "ENOENT") handlers.onError(new ChecklistError(file, [{ line: 0, path: "", message: (err as Error).message }]));
          continue;
        }
        if (closed || text === lastText) continue;
        let table: RoutingTable;
        try {
          table = parseChecklist(text, file);
        } catch (err) {
          // Many editors truncate and then write: a read in between sees half a file. Report an error
          // only for text that is still there a moment later; otherwise the newer text gets its turn.
          await new Promise((r) => setTimeout(r, SETTLE_MS));
          const settled = await readFile(file, "utf8").catch(() => text);
          if (settled !== text) {
            again = true;
            continue;
          }
          lastText = text;
          handlers.onError(err instanceof ChecklistError ? err : new ChecklistError(file, [{ line: 0, path: "", message: String(err) }]));
          continue;
        }
        lastText = text;
        handlers.onTable(table);
      } while (again && !closed);
    })().finally(() => {
      running = undefined;
    });
    return running;
  };

  let watcher: FSWatcher | undefined;
  try {
    const name = basename(file);
    watcher = watch(dirname(file), (_event, changed) => {
      if (changed === null || changed === name) void check();
    });
    watcher.on("error", () => undefined);
  } catch {
    watcher = undefined; // polling below still covers it
  }
  const poll = setInterval(() => {
    stat(file).then(
      (s) => {
        const stamp = `${s.mtimeMs}:${s.size}:${s.ino}`;
        if (stamp !== lastStamp) {
          lastStamp = stamp;
          void check();
        }
      },
      () => undefined,
    );
  }, pollMs);
  poll.unref();

  return {
    check,
    close() {
      closed = true;
      clearInterval(poll);
      watcher?.close();
    },
  };
}
