/**
 * hanzod on the legacy's own state dir (the shared real legacy gateway's): the schema versions it opens,
 * the ones it refuses (a newer one, a corrupt file) without changing a byte, and the legacy's config
 * revision hash, computed by hanzod from the same state, equal to what the legacy hands out.
 */
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { isDeepStrictEqual } from "node:util";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { openSqlite } from "../../protocol/index.js";
import { startHanzod } from "../index.js";
import { LegacyStateError, checkLegacyDatabase, legacyStateLayout, openLegacyState } from "../state/legacy-state.js";
import { createConfigRevisionProjector, hashConfigRaw, loadConfigRevisionKey } from "../state/config-revision.js";
import { connectFrame, isRes, openRaw } from "./helpers.js";

const legacy = inject("legacy");
const sha = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

interface LegacyView {
  stateDir: string;
  configPath: string;
  configGet: { hash: string; path: string };
}

/** The shared legacy's state dir and config path (hello-ok tells an admin), and its config.get. */
async function viewLegacy(): Promise<LegacyView> {
  const s = await openRaw(legacy.url);
  s.send(connectFrame({ client: { id: "cli", version: "1", platform: "linux", mode: "cli" }, scopes: ["operator.admin"], auth: { token: legacy.token } }));
  const hello = (await s.next(isRes("c1"))) as unknown as { payload: { snapshot: { stateDir: string; configPath: string } } };
  s.send({ type: "req", id: "g", method: "config.get", params: {} });
  const got = (await s.next(isRes("g"))) as unknown as { payload: { hash: string; path: string } };
  s.close();
  return { stateDir: hello.payload.snapshot.stateDir, configPath: hello.payload.snapshot.configPath, configGet: got.payload };
}

/** A consistent copy of the live state database (SQLite online backup; the live one is in WAL mode). */
async function copyStateDir(from: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "hanzod-legacy-state-"));
  mkdirSync(join(dir, "state"), { recursive: true });
  const src = openSqlite(join(from, "state", "openclaw.sqlite"), { readonly: true, fileMustExist: true });
  try {
    await src.backup(join(dir, "state", "openclaw.sqlite"));
  } finally {
    src.close();
  }
  copyFileSync(join(from, "openclaw.json"), join(dir, "openclaw.json"));
  return dir;
}

describe("hanzod on the legacy's state dir", () => {
  let view: LegacyView;
  const dirs: string[] = [];
  beforeAll(async () => {
    view = await viewLegacy();
  });
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("opens the live legacy's state: its state schema is a supported release's, read without writing", () => {
    const before = sha(join(view.stateDir, "state", "openclaw.sqlite"));
    const st = openLegacyState(view.stateDir, {});
    expect(st.configPath).toBe(view.configPath);
    expect(st.state.releases).toContain(legacy.version);
    expect(st.state.appVersion).toBe(legacy.version);
    for (const a of st.agents) expect(a.releases.length).toBeGreaterThan(0);
    expect(sha(join(view.stateDir, "state", "openclaw.sqlite"))).toBe(before);
  });

  it("computes the legacy's config revision hash from the same state: the legacy's config.get hash, byte for byte", () => {
    const layout = legacyStateLayout(view.stateDir, {});
    const projector = createConfigRevisionProjector(loadConfigRevisionKey(layout.stateDb));
    expect(view.configGet.hash).toMatch(/^hmac-sha256:v1:/);
    expect(projector.projectRawHash(hashConfigRaw(readFileSync(layout.configPath, "utf8")))).toBe(view.configGet.hash);
    // Another key (another installation) gives another hash: the check above is not vacuous.
    expect(createConfigRevisionProjector(Buffer.alloc(32, 7)).projectRawHash(hashConfigRaw(readFileSync(layout.configPath, "utf8")))).not.toBe(view.configGet.hash);
  });

  it("reports the legacy's agents from the legacy's own state: health and status agent rows equal the legacy's", async () => {
    const hz = await startHanzod({ port: 0, auth: { mode: "token", token: "t" }, stateDir: view.stateDir, logger: false });
    try {
      const ask = async (url: string, token: string, scopes: string[]) => {
        const s = await openRaw(url);
        s.send(connectFrame({ client: { id: "cli", version: "1", platform: "linux", mode: "cli" }, scopes, auth: { token } }));
        await s.next(isRes("c1"));
        s.send({ type: "req", id: "h", method: "health", params: {} });
        s.send({ type: "req", id: "s", method: "status", params: {} });
        const health = ((await s.next(isRes("h"))) as unknown as { payload: Record<string, unknown> }).payload;
        const status = ((await s.next(isRes("s"))) as unknown as { payload: { heartbeat: unknown; sessions: { byAgent: { recent: { age?: number }[] }[] } } }).payload;
        s.close();
        // `age` is now minus updatedAt: a clock reading, not state.
        const dropAge = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (k, x: unknown) => (k === "age" ? undefined : x)));
        // An admin's status rows are the legacy's rich session rows (model, tokens, flags); hanzod has their
        // key and updatedAt so far, so those two are compared for admins; a reader gets no rows from either.
        const byAgent = status.sessions.byAgent.map((a) => ({ ...a, recent: (a.recent as { key?: unknown; updatedAt?: unknown }[]).map((r) => ({ key: r.key, updatedAt: r.updatedAt })) }));
        return dropAge({ defaultAgentId: health.defaultAgentId, heartbeatSeconds: health.heartbeatSeconds, agents: health.agents, sessions: health.sessions, heartbeat: status.heartbeat, byAgent });
      };
      // A reader sees redacted session store paths in status, an admin sees them: both as the legacy.
      // The shared legacy is live: other test files may add sessions meanwhile, and both runtimes refresh their
      // health snapshot in the background (about a second). So the two must agree once both have caught up:
      // retried until they do, with the last pair compared.
      for (const scopes of [["operator.read"], ["operator.admin"]]) {
        const deadline = Date.now() + 60_000;
        let pair = [await ask(legacy.url, legacy.token, scopes), await ask(hz.url, "t", scopes)];
        while (!isDeepStrictEqual(pair[0], pair[1]) && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 500));
          pair = [await ask(legacy.url, legacy.token, scopes), await ask(hz.url, "t", scopes)];
        }
        expect(pair[1], scopes[0]).toEqual(pair[0]);
      }
      const fromLegacy = await ask(legacy.url, legacy.token, ["operator.read"]);
      expect((fromLegacy as { agents: { agentId: string }[] }).agents.map((a) => a.agentId)).toContain("main");
    } finally {
      await hz.close();
    }
  }, 180_000);

  it("refuses to start on a newer state schema, naming the file and the versions, and leaves the file unchanged", async () => {
    const dir = await copyStateDir(view.stateDir);
    dirs.push(dir);
    const file = join(dir, "state", "openclaw.sqlite");
    const db = openSqlite(file);
    db.pragma("user_version = 99");
    db.close();
    const before = sha(file);
    const err = await startHanzod({ port: 0, auth: { mode: "token", token: "t" }, stateDir: dir, logger: false }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LegacyStateError);
    const message = (err as Error).message;
    expect(message).toContain(file);
    expect(message).toMatch(/state schema version 99/);
    expect(message).toMatch(/newer schema version/);
    expect(message).toMatch(/15 \(openclaw 2026\.9\.1\) and 18 \(openclaw 2026\.9\.6\)/);
    expect(sha(file)).toBe(before);
  });

  it("refuses a corrupt state database the same way, without touching it", () => {
    const dir = mkdtempSync(join(tmpdir(), "hanzod-legacy-corrupt-"));
    dirs.push(dir);
    mkdirSync(join(dir, "state"));
    const file = join(dir, "state", "openclaw.sqlite");
    writeFileSync(file, Buffer.concat([Buffer.from("SQLite format 3\0"), Buffer.alloc(4080, 0x5a)]));
    const before = sha(file);
    expect(() => openLegacyState(dir, {})).toThrow(LegacyStateError);
    expect(() => checkLegacyDatabase(file, "state")).toThrow(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} is not a readable SQLite database .*15 \\(openclaw 2026\\.9\\.1\\)`));
    expect(sha(file)).toBe(before);
  });

  it("starts on a copy of a supported state dir and keeps its own data in its own file", async () => {
    const dir = await copyStateDir(view.stateDir);
    dirs.push(dir);
    const before = sha(join(dir, "state", "openclaw.sqlite"));
    const hz = await startHanzod({ port: 0, auth: { mode: "token", token: "t" }, stateDir: dir, logger: false });
    try {
      const s = await openRaw(hz.url);
      s.send(connectFrame({ client: { id: "cli", version: "1", platform: "linux", mode: "cli" }, scopes: ["operator.read"], auth: { token: "t" } }));
      expect((await s.next(isRes("c1"))).ok).toBe(true);
      s.close();
    } finally {
      await hz.close();
    }
    expect(sha(join(dir, "state", "openclaw.sqlite"))).toBe(before);
  });
});
