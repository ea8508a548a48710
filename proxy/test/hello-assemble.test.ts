/** hello-ok assembly (proxy/hello/): fields from their owners, discovery from the routing in force. */
import { describe, expect, it } from "vitest";
import { assembleHello, needsPartner, type HelloSources } from "../hello/assemble.js";
import type { Backend } from "../tap.js";

const legacyHello = {
  type: "hello-ok",
  protocol: 4,
  server: { version: "2026.9.1", buildId: "2026.9.1-release-abc", bootId: "legacy-boot", controlUiBuildSource: "bundled", connId: "legacy-conn" },
  features: { methods: ["health", "status", "config.get", "chat.send", "sessions.list", "gateway.restart.request"], events: ["connect.challenge", "tick", "presence", "health", "chat", "sessions.changed", "heartbeat"], capabilities: ["chat-send-routing-contract", "gateway-restart-target-safe-v1", "new-in-a-later-release"] },
  snapshot: { suspension: { phase: "accepting" }, presence: ["legacy-row"], health: { by: "legacy" }, stateVersion: { presence: 7, health: 9 }, uptimeMs: 1000, appliedConfigHash: "hash", sessionDefaults: { modelConfigured: true }, updateSchedule: { channel: "stable" }, configPath: "/legacy/openclaw.json", stateDir: "/legacy", authMode: "token", futureField: "legacy's" },
  controlUiWidgetKinds: [{ kind: "session:progress" }],
  pluginSurfaceUrls: { canvas: "http://127.0.0.1:1/__openclaw__/cap/x" },
  auth: { role: "operator", scopes: ["operator.read"], recoveryScope: "legacy-scope" },
  policy: { maxPayload: 1, maxBufferedBytes: 2, tickIntervalMs: 30000, attachments: { maxBytes: 5 }, allowedSessionVisibilities: ["shared"], hasMultipleSessionSharingIdentities: true },
};

const hanzodHello = {
  type: "hello-ok",
  protocol: 4,
  server: { version: "2026.9.1", buildId: "hanzod-2026.9.1", bootId: "hanzod-boot", connId: "hanzod-conn" },
  features: { methods: ["health", "status", "gateway.restart.request"], events: ["connect.challenge", "tick", "presence", "health"], capabilities: ["gateway-restart-target-safe-v1"] },
  snapshot: { suspension: { phase: "preparing" }, presence: ["hanzod-row"], health: { by: "hanzod" }, stateVersion: { presence: 1, health: 1 }, uptimeMs: 5, sessionDefaults: { modelConfigured: false }, updateSchedule: { channel: "stable", autoEnabled: false }, stateDir: "/hanzod", authMode: "token" },
  auth: { role: "operator", scopes: ["operator.read"], deviceToken: "dt" },
  policy: { maxPayload: 1, maxBufferedBytes: 2, tickIntervalMs: 30000, attachments: { maxBytes: 9 }, allowedSessionVisibilities: ["shared", "draft"], hasMultipleSessionSharingIdentities: false },
};

/** Routing: the listed methods (and phase 1) on hanzod, everything else on legacy. */
function sources(auth: Backend, onHanzod: string[], hellos: HelloSources["hellos"] = { legacy: legacyHello, hanzod: hanzodHello }): HelloSources {
  const serves = (m: string): Backend => (onHanzod.includes(m) ? "hanzod" : "legacy");
  return { auth, hellos, serves, eventOwner: (e) => (["tick", "presence", "health", "connect.challenge"].includes(e) ? auth : serves(e === "chat" ? "chat.send" : e)) };
}

describe("hello-ok assembly", () => {
  it("hanzod owns auth: identity of the assets' build, legacy's domains from legacy, auth and liveness from hanzod", () => {
    const out = assembleHello(sources("hanzod", ["health", "status", "gateway.restart.request", "gateway.suspend.status"]));
    expect(out.server).toEqual({ version: "2026.9.1", buildId: "2026.9.1-release-abc", bootId: "hanzod-boot", controlUiBuildSource: "bundled", connId: "hanzod-conn" });
    const snap = out.snapshot as Record<string, unknown>;
    expect(snap.presence).toEqual(["hanzod-row"]);
    expect(snap.suspension).toEqual({ phase: "preparing" });
    expect(snap.sessionDefaults).toEqual({ modelConfigured: true });
    expect(snap.appliedConfigHash).toBe("hash");
    expect(snap.configPath).toBe("/legacy/openclaw.json");
    expect(snap.stateDir).toBe("/legacy");
    expect(snap.updateSchedule).toEqual({ channel: "stable" });
    // A key hanzod does not know follows its own name's route (the default: legacy).
    expect(snap.futureField).toBe("legacy's");
    expect(out.auth).toEqual(hanzodHello.auth);
    expect(out.controlUiWidgetKinds).toEqual(legacyHello.controlUiWidgetKinds);
    expect(out.pluginSurfaceUrls).toEqual(legacyHello.pluginSurfaceUrls);
    expect(out.policy).toEqual({ maxPayload: 1, maxBufferedBytes: 2, tickIntervalMs: 30000, attachments: { maxBytes: 5 }, allowedSessionVisibilities: ["shared"], hasMultipleSessionSharingIdentities: true });
  });

  it("discovery lists what the routing serves: legacy-routed names included, names routed to a backend without them left out", () => {
    // chat.send routed to hanzod, which does not have it: hanzod declines it and the legacy answers, so
    // it is listed, with the capability that qualifies it; and the chat event, which hanzod does not send,
    // is the legacy's copy.
    const out = assembleHello(sources("hanzod", ["health", "status", "chat.send"]));
    const f = out.features as Record<string, string[]>;
    expect(f.methods).toEqual(["health", "status", "config.get", "chat.send", "sessions.list", "gateway.restart.request"]);
    expect(f.events).toEqual(["connect.challenge", "tick", "presence", "health", "chat", "sessions.changed", "heartbeat"]);
    expect(f.capabilities).toEqual(["chat-send-routing-contract", "gateway-restart-target-safe-v1", "new-in-a-later-release"]);
    // Without the legacy's hello-ok (its leg failed) nothing can take a decline: chat.send is not served.
    const alone = assembleHello(sources("hanzod", ["health", "status", "chat.send"], { hanzod: hanzodHello })).features as Record<string, string[]>;
    expect(alone.methods).toEqual(["health", "status"]);
    expect(alone.capabilities).toEqual([]);
  });

  it("the same routing gives the same lists whichever backend owns auth", () => {
    const onHanzod = ["health", "status", "gateway.restart.request"];
    const a = assembleHello(sources("hanzod", onHanzod));
    const b = assembleHello(sources("legacy", onHanzod));
    expect(a.features).toEqual(b.features);
    expect((a.features as Record<string, string[]>).methods).toContain("config.get");
  });

  it("a backend whose hello-ok could not be had serves nothing; its fields fall back to the auth owner's", () => {
    const out = assembleHello(sources("hanzod", ["health"], { hanzod: hanzodHello }));
    expect((out.features as Record<string, string[]>).methods).toEqual(["health"]);
    expect((out.snapshot as Record<string, unknown>).sessionDefaults).toEqual({ modelConfigured: false });
    expect((out.server as Record<string, unknown>).buildId).toBe("hanzod-2026.9.1");
  });

  it("the other backend is asked only when the connection uses it", () => {
    const none = (): Backend => "legacy";
    expect(needsPartner("hanzod", "legacy", ["health"], none)).toBe(false);
    expect(needsPartner("hanzod", "legacy", ["health"], (m) => (m === "health" ? "hanzod" : "legacy"))).toBe(true);
    // hanzod owning auth always needs legacy: it serves the Control UI's assets.
    expect(needsPartner("legacy", "hanzod", [], () => "hanzod")).toBe(true);
  });
});
