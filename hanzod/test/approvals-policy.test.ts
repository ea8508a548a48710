/**
 * policy.ts on stored texts the legacy's own writes do not produce in the live test
 * (approvals-identity-read.test.ts): each is a text on which the legacy's `exec.approvals.get` writes
 * (dist exec-approvals-store `ensureExecApprovalsSnapshot`), so hanzod refuses; and the fixed point the
 * legacy answers without writing, answered.
 */
import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { execApprovalsGet } from "../domains/approvals/policy.js";
import { planSet } from "../domains/approvals/set.js";

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

/**
 * set.ts on cases the live test (approvals-identity-read.test.ts) does not reach with a running legacy:
 * where hanzod declines (the legacy would take a socket path from its environment, start from its
 * fail-closed policy, merge the `default` alias or fence a deleted agent), and the socket token kept, taken
 * or made as the legacy's `mergeExecApprovalsSocketDefaults` does.
 */
describe("exec.approvals.set's plan on the stored text", () => {
  const sha = (raw: string) => createHash("sha256").update(raw).digest("hex");
  const stored = text({ version: 1, socket: SOCKET, defaults: { security: "deny" }, agents: {} });
  const plan = (current: string | null, file: unknown, deletions = 0, baseHash: string | undefined = current === null ? undefined : sha(current)) =>
    planSet(current, { file, ...(baseHash === undefined ? {} : { baseHash }) }, "/s", deletions);

  it.each([
    ["no stored policy", null, { version: 1 }, 0, "before the legacy stored a policy"],
    ["a stored policy the legacy cannot parse", "{", { version: 1 }, 0, "cannot parse"],
    ["no socket path submitted or stored", text({ version: 1, socket: { token: "t" }, agents: {} }), { version: 1 }, 0, "no socket path"],
    ["the agents.default alias", stored, { version: 1, agents: { default: { ask: "off" } } }, 0, "agents.default"],
    ["an agent named __proto__", stored, JSON.parse('{"version":1,"agents":{"__proto__":{"ask":"off"}}}') as unknown, 0, "__proto__"],
    ["an agent deletion in progress", stored, { version: 1 }, 1, "agent deletion"],
  ])("declines %s", (_name, current, file, deletions, reason) => {
    expect(plan(current, file, deletions)).toEqual({ kind: "decline", reason: expect.stringContaining(reason) });
  });

  it("refuses a missing (or blank) and a stale baseHash in the legacy's words", () => {
    expect(plan(stored, { version: 1 }, 0, " ")).toEqual({ kind: "invalid", message: "exec approvals base hash required; re-run exec.approvals.get and retry" });
    expect(plan(stored, { version: 1 }, 0, "f".repeat(64))).toEqual({ kind: "invalid", message: "exec approvals changed since last load; re-run exec.approvals.get and retry" });
    expect(plan(stored, { version: 1 }, 0, ` ${sha(stored)} `).kind).toBe("write");
  });

  it("keeps the stored socket, takes a submitted one, makes a token when neither has one", () => {
    const kept = plan(stored, { version: 1, socket: { path: " ", token: "" } });
    expect(kept).toMatchObject({ kind: "write", raw: text({ version: 1, socket: SOCKET, defaults: {}, agents: {} }) });
    const taken = plan(stored, { version: 1, socket: { path: " /o.sock ", token: " t2 " } });
    expect(taken).toMatchObject({ kind: "write", raw: text({ version: 1, socket: { path: "/o.sock", token: "t2" }, defaults: {}, agents: {} }) });
    const noToken = text({ version: 1, socket: { path: SOCKET.path }, agents: {} });
    const made = plan(noToken, { version: 1 });
    expect(made.kind).toBe("write");
    if (made.kind !== "write") return;
    expect(JSON.parse(made.raw)).toMatchObject({ socket: { path: SOCKET.path, token: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/) } });
    expect(made.columns).toEqual({ socket_path: SOCKET.path, has_socket_token: 1, default_security: null, default_ask: null, default_ask_fallback: null, auto_allow_skills: null, agent_count: 0, allowlist_count: 0 });
    expect(JSON.stringify(made.payload)).not.toContain(JSON.parse(made.raw).socket.token);
  });

  it("writes nothing when the text would not change", () => {
    const same = plan(stored, { version: 1, defaults: { security: "deny" } });
    expect(same).toMatchObject({ kind: "unchanged", raw: stored, payload: { hash: sha(stored) } });
  });
});
