/**
 * TEST-ONLY result overrides so the parity suite can prove it notices a difference:
 * `HANZOD_TEST_INJECT='{"status":{"/extraField":"injected"}}'`, honoured only with HANZOD_TEST_SWITCHES=1
 * (or passed as `testInject` to startHanzod). Each key is a JSON pointer into that method's result.
 */
import type { TestInject } from "./options.js";

export function testInjectFromEnv(env: NodeJS.ProcessEnv): TestInject | undefined {
  if (env.HANZOD_TEST_SWITCHES !== "1" || !env.HANZOD_TEST_INJECT) return undefined;
  const parsed = JSON.parse(env.HANZOD_TEST_INJECT) as unknown;
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("HANZOD_TEST_INJECT must be a JSON object {method: {pointer: value}}");
  return parsed as TestInject;
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
