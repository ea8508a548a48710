/**
 * What the legacy's Control UI, loaded in headless Chromium (chromium-page.ts), is doing: its own
 * connection phase (read from its app element) and the requests it sent on its gateway socket(s), which
 * were answered and which failed. Shared by the tests that load the UI through the proxy and from hanzod.
 */
import type { ChromiumPage, PageSocket } from "./chromium-page.js";

export interface Settled {
  phase: string | undefined;
  sent: string[];
  unanswered: string[];
  failed: string[];
}

/** The UI's own gateway connection phase ("connected", "reconnecting", ...), from its app element. */
export function uiPhase(page: ChromiumPage): Promise<string | undefined> {
  return page.evaluate<string | undefined>(`document.querySelector("openclaw-app")?.context?.gateway?.snapshot?.phase`).catch(() => undefined);
}

/**
 * Waits (bounded) until the UI is connected and has sent and had answered its start-up requests. The
 * UI's connection phase is read from its own app element.
 */
export async function settle(page: ChromiumPage, startup: readonly string[], timeoutMs = 180_000): Promise<Settled> {
  const deadline = Date.now() + timeoutMs;
  let last: Settled = { phase: undefined, sent: [], unanswered: [], failed: [] };
  while (Date.now() < deadline) {
    const phase = await uiPhase(page);
    last = { phase, ...requestsOf(page) };
    if (phase === "connected" && last.unanswered.length === 0 && startup.every((m) => last.sent.includes(m))) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  return last;
}

/** The page's requests on its gateway socket(s) (or the given ones): which were sent, left unanswered, answered with an error. */
export function requestsOf(page: ChromiumPage, sockets: Iterable<PageSocket> = page.sockets.values()): Omit<Settled, "phase"> {
  const sent = new Map<string, string>();
  const answers = new Map<string, boolean>();
  for (const s of sockets) {
    for (const raw of s.sent) {
      const f = parse(raw);
      if (f?.type === "req" && typeof f.id === "string") sent.set(f.id, String(f.method));
    }
    for (const raw of s.received) {
      const f = parse(raw);
      if (f?.type === "res" && typeof f.id === "string") answers.set(f.id, f.ok === true);
    }
  }
  const unanswered: string[] = [];
  const failed: string[] = [];
  for (const [id, method] of sent) {
    const ok = answers.get(id);
    if (ok === undefined) unanswered.push(method);
    else if (!ok) failed.push(method);
  }
  return { sent: [...sent.values()], unanswered, failed };
}

function parse(raw: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
