/**
 * `config.get` with the real legacy and hanzod on one state dir (a legacy gateway of its own per release:
 * these tests rewrite its openclaw.json). Where hanzod answers (a file the legacy cannot parse) its answer
 * is the legacy's, field for field, for a reader and an admin, apart from `appliedConfigHash`: the hash of
 * the config the answering runtime itself applied (the legacy's last good config; hanzod applies none,
 * so null). Compared on the default release (2026.9.6) only: 2026.9.1 drops its config.get cache only when
 * it commits a valid file, so while the file is unparseable it keeps answering the last committed one
 * (state/README.md), and there is no answer of its own to compare with. Where it does not (a parseable file: the legacy's validator, migrations and defaults decide
 * the answer), hanzod refuses and shows nothing of the file. The legacy caches config.get per
 * watcher-accepted revision, so each comparison first waits for the legacy to answer the file on disk.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_LEGACY_VERSION, startLegacyGateway, type LegacyGateway } from "../../scripts/legacy/index.js";
import { startHanzod, type HanzodHandle } from "../index.js";
import { createConfigRevisionProjector, hashConfigRaw, loadConfigRevisionKey } from "../state/config-revision.js";
import { legacyStateLayout } from "../state/legacy-state.js";
import { connectOperator, request, type Frame } from "./helpers.js";

async function ask(url: string, token: string, scopes: string[]): Promise<Frame> {
  const { s } = await connectOperator(url, token, scopes);
  try {
    return await request(s, "config.get", {});
  } finally {
    s.close();
  }
}

const payload = (f: Frame) => f.payload as Record<string, unknown>;
const SECRET = "sk-config2-never-shown-0123456789";

describe.each([DEFAULT_LEGACY_VERSION])("config.get on openclaw %s's own config file", (version) => {
  let legacy: LegacyGateway;
  let hz: HanzodHandle;
  let configPath: string;
  let rawHash: (raw: string) => string;
  let goodRaw: string;
  beforeAll(async () => {
    legacy = await startLegacyGateway({ version });
    hz = await startHanzod({ port: 0, auth: { mode: "token", token: "t" }, stateDir: legacy.stateDir, compat: version, logger: false });
    const layout = legacyStateLayout(legacy.stateDir, {});
    configPath = layout.configPath;
    expect(configPath).toBe(legacy.configPath);
    const projector = createConfigRevisionProjector(loadConfigRevisionKey(layout.stateDb));
    rawHash = (raw) => projector.projectRawHash(hashConfigRaw(raw));
    goodRaw = readFileSync(configPath, "utf8");
  });
  afterAll(async () => {
    await hz?.close();
    await legacy?.stop();
  });

  /** The legacy's answer once its watcher has taken the file on disk (its config.get is cached until then). */
  async function legacyAnswerFor(raw: string, scopes: string[]): Promise<Frame> {
    const want = rawHash(raw);
    let last: Frame | undefined;
    await expect.poll(async () => ((last = await ask(legacy.url, legacy.token, scopes)).ok && payload(last).hash) === want, { timeout: 30_000, interval: 200 }).toBe(true);
    return last!;
  }

  it.each([
    ["not JSON5", `{ gateway: { auth: { token: "${SECRET}" } }, this is not json5 `],
    ["empty", ""],
    ["truncated", `{\n  "models": { "providers": { "x": { "apiKey": "${SECRET}"`],
  ])("a file the legacy cannot parse (%s): hanzod answers the legacy's invalid snapshot, for a reader and an admin", async (_label, raw) => {
    // From a valid file each time, so each case is the legacy's answer to one change.
    writeFileSync(configPath, goodRaw);
    expect(payload(await legacyAnswerFor(goodRaw, ["operator.read"])).valid).toBe(true);
    writeFileSync(configPath, raw);
    for (const scopes of [["operator.read"], ["operator.admin"]]) {
      const fromLegacy = await legacyAnswerFor(raw, scopes);
      const fromHanzod = await ask(hz.url, "t", scopes);
      expect(fromHanzod.ok, JSON.stringify(fromHanzod.error)).toBe(true);
      const l = payload(fromLegacy);
      const h = payload(fromHanzod);
      expect(l).toMatchObject({ path: configPath, exists: true, valid: false, raw: null, parsed: null });
      expect((l.issues as { message: string }[])[0]?.message).toMatch(/^JSON5 parse failed: SyntaxError: JSON5: /);
      // Runtime-owned: the legacy's is its last applied (good) config's hash; hanzod applied none.
      expect(l.appliedConfigHash).toMatch(/^hmac-sha256:v1:/);
      expect(h.appliedConfigHash).toBeNull();
      const { appliedConfigHash: _l, ...restL } = l;
      const { appliedConfigHash: _h, ...restH } = h;
      expect(restH, scopes[0]).toEqual(restL);
      // Key order too (what a byte comparison of the frames sees).
      expect(Object.keys(h)).toEqual(Object.keys(l));
      // Neither shows the file's text (nor the secret in it) to anyone.
      expect(JSON.stringify(fromLegacy)).not.toContain(SECRET);
      expect(JSON.stringify(fromHanzod)).not.toContain(SECRET);
    }
  });

  it("a parseable file: the legacy's validator decides the answer, so hanzod refuses, shows nothing of it and changes nothing", async () => {
    const raw = JSON.stringify({ discovery: { mdns: { mode: "off" } }, cron: { enabled: false }, update: { checkOnStart: false }, gateway: { auth: { token: SECRET } } }, null, 2);
    writeFileSync(configPath, raw);
    const fromLegacy = await legacyAnswerFor(raw, ["operator.admin"]);
    expect(payload(fromLegacy)).toMatchObject({ valid: true, exists: true });
    // The legacy redacts the secret in raw, parsed and config alike.
    expect(JSON.stringify(fromLegacy)).not.toContain(SECRET);
    for (const scopes of [["operator.read"], ["operator.admin"]]) {
      const fromHanzod = await ask(hz.url, "t", scopes);
      expect(fromHanzod.ok).toBe(false);
      expect(fromHanzod.error).toMatchObject({ code: "UNAVAILABLE", message: expect.stringMatching(/^config\.get: hanzod cannot answer for a parseable config file yet/) });
      expect(JSON.stringify(fromHanzod)).not.toContain(SECRET);
    }
    expect(readFileSync(configPath, "utf8")).toBe(raw);
  });

  it("a caller without operator.read is refused by both alike", async () => {
    const [l, h] = [await ask(legacy.url, legacy.token, ["operator.approvals"]), await ask(hz.url, "t", ["operator.approvals"])];
    expect(l.ok).toBe(false);
    expect(h.error).toEqual(l.error);
  });
});
