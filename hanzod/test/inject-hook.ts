/**
 * A test-only dispatch hook that alters results, so the parity suite can prove it notices a difference:
 * `injectHook({ status: { "/extraField": "injected" } })` sets those JSON-pointer paths in that method's
 * result payload (other methods untouched). Production code never registers it: tests pass it to
 * startHanzod as `hooks`, and spawned test children get it through test/hooked-child.ts.
 */
import type { Call, PipelineHook } from "../core/pipeline.js";

/** `{ method: { "/json/pointer": value } }`: overrides applied to a method's result payload. */
export type ResultOverrides = Record<string, Record<string, unknown>>;

export function injectHook(overrides: ResultOverrides): PipelineHook {
  return {
    stage: "send",
    run: (call: Call, payload: unknown) => {
      const o = overrides[call.method];
      return o ? applyInject(payload, o) : payload;
    },
  };
}

function unescape(token: string): string {
  return token.replaceAll("~1", "/").replaceAll("~0", "~");
}

/** Returns a copy of `payload` with each pointer set (intermediate objects created as needed). */
export function applyInject(payload: unknown, overrides: Record<string, unknown>): unknown {
  let root: unknown = structuredClone(payload);
  for (const [pointer, value] of Object.entries(overrides)) {
    if (pointer === "" || pointer === "/") {
      root = value;
      continue;
    }
    const tokens = pointer.split("/").slice(1).map(unescape);
    if (typeof root !== "object" || root === null) root = {};
    let node = root as Record<string, unknown>;
    for (let i = 0; i < tokens.length - 1; i++) {
      const key = tokens[i] as string;
      const next = node[key];
      if (typeof next !== "object" || next === null) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[tokens[tokens.length - 1] as string] = value;
  }
  return root;
}
