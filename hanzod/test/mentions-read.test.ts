/**
 * The mention Inbox (`mentions.list`, `mentions.dismiss`: openclaw 2026.9.6) on one state dir, two live
 * runtimes: a real 2026.9.6 legacy and hanzod started on the legacy's state dir answering as 2026.9.6.
 * Each answer is compared with the legacy's own for the same call, field for field, for a person's
 * connection (a tracked operator with a device, attributed to the gateway owner's profile) reading and
 * administering, for a connection without a person (the CLI: ephemeral, no profile), and for bad params.
 * `gatewayInstanceId` is each runtime's own boot id (hello-ok's `server.bootId` on that connection), so it
 * is compared with the connection's hello-ok rather than between runtimes.
 *
 * And as 2026.9.1 (which has no Inbox): hanzod answers the release's "unknown method", as that legacy does.
 * No timing luck: the comparisons ask the legacy before and after hanzod and retry until those agree.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLegacyGateway, type LegacyGateway } from "../../scripts/legacy/index.js";
import { startHanzod, type HanzodHandle } from "../index.js";
import { CLI_CLIENT, connectFrame, isRes, newDeviceKey, openRaw, request, signedDevice, useTestHanzod, type DeviceKey, type RawSession } from "./helpers.js";
import { ask, askBoth, type Answer } from "./live-compare.js";

type Who = "person-reader" | "person-admin" | "cli";
const WHO: readonly Who[] = ["person-reader", "person-admin", "cli"];

/** A tracked operator (not ephemeral): the legacy attributes it to the gateway owner's profile. */
const PERSON_CLIENT = { id: "test", version: "2026.9.6", platform: "linux", mode: "test" };

async function connect(url: string, token: string, who: Who, key: DeviceKey): Promise<{ s: RawSession; bootId: string; user: unknown }> {
  const scopes = who === "person-admin" ? ["operator.admin"] : ["operator.read"];
  const s = await openRaw(url);
  if (who === "cli") {
    s.send(connectFrame({ client: CLI_CLIENT, role: "operator", scopes, auth: { token } }));
  } else {
    const client = { ...PERSON_CLIENT, instanceId: `mentions-${who}` };
    const device = signedDevice({ key, scopes, token, nonce: s.challenge.nonce, signedAt: Date.now() });
    s.send(connectFrame({ client, role: "operator", scopes, auth: { token }, device }));
  }
  const hello = await s.next(isRes("c1"));
  if (hello.ok !== true) throw new Error(`connect refused: ${JSON.stringify(hello.error)}`);
  const p = hello.payload as { server: { bootId: string }; snapshot: { presence: { instanceId?: string; user?: unknown }[] } };
  return { s, bootId: p.server.bootId, user: p.snapshot.presence.find((r) => r.instanceId === `mentions-${who}`)?.user };
}

describe("the mention Inbox on a running legacy's state (openclaw 2026.9.6)", () => {
  let legacy: LegacyGateway;
  let hz: HanzodHandle;
  const key = newDeviceKey();
  const legacyConn = {} as Record<Who, { s: RawSession; bootId: string; user: unknown }>;
  const hanzodConn = {} as Record<Who, { s: RawSession; bootId: string; user: unknown }>;

  /** Both answers with each runtime's boot id in place of its own `gatewayInstanceId`. */
  const sameInstance = (a: Answer, bootId: string): Answer => {
    const p = a.payload as { gatewayInstanceId?: string } | undefined;
    if (!a.ok || p?.gatewayInstanceId === undefined) return a;
    expect(p.gatewayInstanceId, "gatewayInstanceId is the connection's hello-ok server.bootId").toBe(bootId);
    return { ...a, payload: { ...p, gatewayInstanceId: "<this runtime's boot id>" } };
  };

  async function expectSame(who: Who, method: string, params: unknown): Promise<Answer> {
    const { legacy: fromLegacy, hanzod: fromHanzod } = await askBoth(
      async () => sameInstance(await ask(legacyConn[who].s, method, params), legacyConn[who].bootId),
      async () => sameInstance(await ask(hanzodConn[who].s, method, params), hanzodConn[who].bootId),
      method,
    );
    expect({ who, method, params, answer: fromHanzod }).toEqual({ who, method, params, answer: fromLegacy });
    return fromLegacy;
  }

  beforeAll(async () => {
    legacy = await startLegacyGateway({ version: "2026.9.6" });
    hz = await startHanzod({ port: 0, auth: { mode: "token", token: "t" }, stateDir: legacy.stateDir, logger: false, compat: "2026.9.6" });
    for (const who of WHO) {
      legacyConn[who] = await connect(legacy.url, legacy.token, who, key);
      hanzodConn[who] = await connect(hz.url, "t", who, key);
    }
  }, 240_000);

  afterAll(async () => {
    for (const who of WHO) {
      legacyConn[who]?.s.close();
      hanzodConn[who]?.s.close();
    }
    await hz?.close();
    await legacy?.stop();
  });

  it("a person's connection: both runtimes attribute it to the gateway owner, and list the same (empty) Inbox", async () => {
    for (const who of ["person-reader", "person-admin"] as const) {
      expect(legacyConn[who].user, `${who}: the legacy's presence names the person`).toMatchObject({ id: "gateway-owner" });
      expect(hanzodConn[who].user, `${who}: hanzod's presence names the person`).toEqual(legacyConn[who].user);
      const listed = await expectSame(who, "mentions.list", {});
      expect(listed).toMatchObject({ ok: true, payload: { revision: 0, items: [] } });
      // Asked again on the same connection: the same view, the same revision.
      await expectSame(who, "mentions.list", {});
    }
  }, 120_000);

  it("dismissing ids the person does not own answers the view and changes nothing", async () => {
    for (const who of ["person-reader", "person-admin"] as const) {
      expect(await expectSame(who, "mentions.dismiss", { ids: ["no-such-mention"] })).toMatchObject({ ok: true });
      await expectSame(who, "mentions.dismiss", { ids: [] });
      await expectSame(who, "mentions.list", {});
    }
  }, 120_000);

  it("a connection without a person (the CLI) gets the legacy's refusal", async () => {
    const refused = await expectSame("cli", "mentions.list", {});
    expect(refused.ok).toBe(false);
    expect((await expectSame("cli", "mentions.dismiss", { ids: ["x"] })).ok).toBe(false);
  }, 120_000);

  it("bad params get the legacy's own errors", async () => {
    for (const who of WHO) {
      expect((await expectSame(who, "mentions.list", { bogus: 1 })).ok).toBe(false);
      expect((await expectSame(who, "mentions.dismiss", {})).ok).toBe(false);
      expect((await expectSame(who, "mentions.dismiss", { ids: "x" })).ok).toBe(false);
    }
  }, 120_000);
});

describe("hanzod --compat 2026.9.1: no mention Inbox in that release", () => {
  const hz = useTestHanzod({ compat: "2026.9.1" });

  it("mentions.* are unknown methods and not advertised", async () => {
    const s = await openRaw(hz.url);
    s.send(connectFrame({ client: CLI_CLIENT, role: "operator", scopes: ["operator.admin"], auth: { token: hz.token } }));
    const hello = (await s.next(isRes("c1"))) as unknown as { payload: { features: { methods: string[]; events: string[] } } };
    expect(hello.payload.features.methods.filter((m) => m.startsWith("mentions."))).toEqual([]);
    expect(hello.payload.features.events).not.toContain("mentions.changed");
    for (const method of ["mentions.list", "mentions.dismiss"]) expect((await request(s, method, {})).error).toEqual({ code: "INVALID_REQUEST", message: `unknown method: ${method}` });
    s.close();
  });
});

describe("hanzod --compat 2026.9.6 advertises the Inbox", () => {
  const hz = useTestHanzod({ compat: "2026.9.6" });

  it("mentions.list/dismiss and mentions.changed are in hello-ok.features", async () => {
    const s = await openRaw(hz.url);
    s.send(connectFrame({ client: CLI_CLIENT, role: "operator", scopes: ["operator.read"], auth: { token: hz.token } }));
    const hello = (await s.next(isRes("c1"))) as unknown as { payload: { features: { methods: string[]; events: string[] } } };
    expect(hello.payload.features.methods).toEqual(expect.arrayContaining(["mentions.list", "mentions.dismiss"]));
    expect(hello.payload.features.events).toContain("mentions.changed");
    // Without the legacy's state dir there is no Inbox to read: refused by name, never an invented one.
    expect((await request(s, "mentions.list", {})).error).toMatchObject({ code: "UNAVAILABLE", message: expect.stringMatching(/state dir/) });
    s.close();
  });
});
