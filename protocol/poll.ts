/**
 * Polls `probe` every 250 ms until it yields a value; throws naming `what` (and `detail()`, e.g. a child's
 * last output) once `timeoutMs` has passed. For waits on another process's state (a node host's pairing,
 * a row it writes), where no event announces the change.
 */
export async function pollUntil<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, detail: () => string = () => ""): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms; ${detail()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
