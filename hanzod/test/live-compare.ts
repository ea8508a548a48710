/**
 * The two halves of a live comparison: one call asked of the real legacy and of hanzod on the same state
 * dir. The legacy is asked before and after hanzod until its two answers agree, so a write the legacy makes
 * meanwhile (a timer, a refresh) never passes for a difference between the runtimes.
 */
import { isDeepStrictEqual } from "node:util";
import { request, type RawSession } from "./helpers.js";

export interface Answer {
  ok: boolean;
  payload?: unknown;
  error?: unknown;
}

export async function ask(s: RawSession, method: string, params: unknown, waitMs?: number): Promise<Answer> {
  const res = await request(s, method, params, waitMs);
  return { ok: res.ok === true, payload: res.payload, error: res.error };
}

/** The legacy's stable answer and hanzod's; `same` decides stability (default: deep equality). */
export async function askBoth<A>(legacy: () => Promise<A>, hanzod: () => Promise<A>, what: string, same: (a: A, b: A) => boolean = isDeepStrictEqual): Promise<{ legacy: A; hanzod: A }> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const before = await legacy();
    const fromHanzod = await hanzod();
    const after = await legacy();
    if (same(before, after)) return { legacy: before, hanzod: fromHanzod };
  }
  throw new Error(`the legacy's ${what} answer kept changing`);
}
