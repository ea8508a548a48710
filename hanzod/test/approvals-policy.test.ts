/**
 * policy.ts on stored texts the legacy's own writes do not produce in the live test
 * (approvals-identity-read.test.ts): each is a text on which the legacy's `exec.approvals.get` writes
 * (dist exec-approvals-store `ensureExecApprovalsSnapshot`), so hanzod refuses; and the fixed point the
 * legacy answers without writing, answered.
 */
import { describe, expect, it } from "vitest";
import { execApprovalsGet } from "../domains/approvals/policy.js";

const text = (file: unknown) => `${JSON.stringify(file, null, 2)}\n`;
const SOCKET = { path: "/s/exec-approvals.sock", token: "tok" };

describe("exec.approvals.get's stored-text projection", () => {
  it("answers the normalized fixed point, without the token, with the text's sha256", () => {
    const raw = text({ version: 1, socket: SOCKET, defaults: { security: "deny" }, agents: { main: { ask: "always", allowlist: [{ pattern: "/bin/ls", id: "a", lastUsedAt: 3 }] } } });
    const read = execApprovalsGet(raw, "/s");
    expect(read).toEqual({
      kind: "answer",
      payload: {
        path: "/s/state/openclaw.sqlite#exec_approvals_config",
        exists: true,
        file: { version: 1, socket: { path: "/s/exec-approvals.sock" }, defaults: { security: "deny" }, agents: { main: { ask: "always", allowlist: [{ pattern: "/bin/ls", id: "a", lastUsedAt: 3 }] } } },
        hash: expect.stringMatching(/^[a-f0-9]{64}$/),
        resolvedDefaults: { security: "deny", ask: "off", askFallback: "deny", autoAllowSkills: false },
      },
    });
    expect(JSON.stringify(read)).not.toContain("tok");
  });

  it.each([
    ["no row", null, "before the legacy stored a policy"],
    ["bad JSON", "{", "cannot parse"],
    ["another version", text({ version: 2, socket: SOCKET, defaults: {}, agents: {} }), "cannot parse"],
    ["an unknown security", text({ version: 1, socket: SOCKET, defaults: { security: "some" }, agents: {} }), "cannot parse"],
    ["a blank pattern", text({ version: 1, socket: SOCKET, defaults: {}, agents: { main: { allowlist: [{ pattern: " ", id: "a" }] } } }), "cannot parse"],
    ["no socket token", text({ version: 1, socket: { path: SOCKET.path }, defaults: {}, agents: {} }), "normalized form"],
    ["an entry without id", text({ version: 1, socket: SOCKET, defaults: {}, agents: { main: { allowlist: [{ pattern: "/bin/ls" }] } } }), "normalized form"],
    ["a string entry", text({ version: 1, socket: SOCKET, defaults: {}, agents: { main: { allowlist: ["/bin/ls"] } } }), "normalized form"],
    ["the agents.default alias", text({ version: 1, socket: SOCKET, defaults: {}, agents: { default: { ask: "off" } } }), "normalized form"],
    ["keys out of the schema's order", text({ version: 1, socket: SOCKET, defaults: {}, agents: { main: { allowlist: [{ pattern: "/bin/git", argPattern: "x", id: "a" }] } } }), "normalized form"],
    ["an unknown top-level key", text({ version: 1, socket: SOCKET, defaults: {}, agents: {}, extra: 1 }), "normalized form"],
    ["no trailing newline", JSON.stringify({ version: 1, socket: SOCKET, defaults: {}, agents: {} }, null, 2), "normalized form"],
  ])("refuses %s (the legacy writes on that get)", (_name, raw, reason) => {
    expect(execApprovalsGet(raw, "/s")).toEqual({ kind: "refuse", reason: expect.stringContaining(reason) });
  });
});
