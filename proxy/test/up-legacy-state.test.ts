/**
 * `hanzonode up --legacy URL` beside a legacy on this machine starts hanzod on the legacy's own state dir
 * (issue 10): it asks the legacy for its config path (`config.get`), derives the state dir, says which one
 * it uses, and hanzod's reads of the legacy's state, routed to hanzod through the proxy, answer what the
 * legacy answers. hanzod's own files stay files of its own; hanzonode's stay under up's --state-dir.
 * When the legacy is not on this machine or its dir is not usable, up falls back to hanzod's own dir and says why.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { afterEach, describe, expect, inject, it } from "vitest";
import { connectRaw, openSqlite } from "../../protocol/index.js";
import { freePort } from "../../scripts/legacy/index.js";
import { chooseHanzodStateDir, isLoopbackUrl, legacyStateDirFor } from "../../cli/legacy-state-dir.js";
import { STATE_DB_RELATIVE, openLegacyState } from "../../hanzod/state/legacy-state.js";
import { supportedVersions } from "../../hanzod/state/schema-versions.js";
import { metricValue } from "./support.js";
import { alive, listening, portOf, startUp, stopUp, upReady, type UpProcess } from "./up-process.js";

const legacy = inject("legacy");

const UP_TEST_MS = 180_000;

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)));
}

/** The schema of the legacy's state database (every table and index as SQLite stores it), read-only. */
function schemaOf(db: string): string[] {
  const h = openSqlite(db, { readonly: true, fileMustExist: true });
  try {
    return (h.prepare("SELECT type || ' ' || name || ' ' || coalesce(sql, '') AS s FROM sqlite_master ORDER BY type, name").all() as { s: string }[]).map((r) => r.s);
  } finally {
    h.close();
  }
}

/** The legacy's own answer and the proxy's (routed to hanzod) to the same read, on the same connection scopes. */
async function bothAnswers(proxyUrl: string, method: string): Promise<{ legacy: unknown; proxied: unknown }> {
  const direct = await connectRaw(legacy.url, { token: legacy.token, scopes: ["operator.admin"] });
  const viaProxy = await connectRaw(proxyUrl, { token: legacy.token, scopes: ["operator.admin"] });
  try {
    const a = await direct.socket.request(method, {});
    const b = await viaProxy.socket.request(method, {});
    expect(a.ok, `${method} on the legacy: ${JSON.stringify(a.error)}`).toBe(true);
    expect(b.ok, `${method} through the proxy: ${JSON.stringify(b.error)}`).toBe(true);
    return { legacy: a.payload, proxied: b.payload };
  } finally {
    await direct.socket.close();
    await viaProxy.socket.close();
  }
}

describe("hanzonode up on the legacy's state dir", () => {
  let running: UpProcess | undefined;
  const dirs: string[] = [];
  const tempDir = (): string => {
    const d = mkdtempSync(join(tmpdir(), "hanzonode-upstate-"));
    dirs.push(d);
    return d;
  };

  afterEach(async () => {
    await stopUp(running);
    running = undefined;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("finds the legacy's state dir through its config.get, says so, and hanzod answers its reads as the legacy does", async () => {
    // Where the legacy says its config is, asked directly.
    const probe = await connectRaw(legacy.url, { token: legacy.token, scopes: ["operator.read"] });
    const configPath = ((await probe.socket.request("config.get", {})).payload as { path: string }).path;
    await probe.socket.close();
    const legacyDir = dirname(configPath);
    const stateDb = join(legacyDir, STATE_DB_RELATIVE);
    expect(existsSync(stateDb)).toBe(true);
    const schemaBefore = schemaOf(stateDb);

    const stateDir = tempDir();
    const checklist = join(stateDir, "checklist.yaml");
    // Reads of the legacy's state that hanzod refused under up before ("needs the legacy's state dir").
    writeFileSync(checklist, ["version: 1", "methods:", "  agents.list: hanzod", "  gateway.identity.get: hanzod", "  health: shadow"].join("\n"));
    const [listen, admin] = [await freePort(), await freePort()];
    running = startUp(["--legacy", legacy.url, "--token", legacy.token, "--listen", String(listen), "--admin-port", String(admin), "--state-dir", stateDir, "--checklist", checklist]);
    const parts = await upReady(running);

    // The banner names the dir hanzod works on and how it was found.
    const said = await running.printed(/hanzod state dir:\s+(\S+)\s+\(([^\n]*)\)/);
    expect(said[1]).toBe(legacyDir);
    expect(said[2]).toBe(`the legacy's, found from its config.get path ${configPath}`);
    expect(running.stdout()).toMatch(new RegExp(`\\nhanzod:\\s+\\S+\\s+\\(pid \\d+, state in ${legacyDir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")};`));
    // hanzod itself reports the legacy's dir (hello-ok snapshot.stateDir, admin connections).
    const direct = await connectRaw(parts.hanzodUrl, { token: legacy.token, scopes: ["operator.admin"] });
    expect((direct.hello.payload as { snapshot?: { stateDir?: string } }).snapshot?.stateDir).toBe(legacyDir);
    await direct.socket.close();

    // The legacy's state, read by hanzod through the proxy, is what the legacy answers.
    for (const method of ["agents.list", "gateway.identity.get"]) {
      const { legacy: expected, proxied } = await bothAnswers(parts.clientUrl, method);
      expect(proxied, method).toEqual(expected);
      expect(await metricValue(admin, "hanzonode_proxy_requests_total", { method, backend: "hanzod", outcome: "ok" }), method).toBe(1);
    }
    // A shadowed read stores its comparison in hanzonode's own store.
    const health = await connectRaw(parts.clientUrl, { token: legacy.token, scopes: ["operator.read"] });
    expect((await health.socket.request("health")).ok).toBe(true);
    await health.socket.close();
    await expect.poll(() => metricValue(admin, "hanzonode_proxy_shadow_compared_total", {}), { timeout: 15_000 }).toBe(1);

    running.child.kill("SIGINT");
    expect((await running.exited).code).toBe(0);
    await expect.poll(() => alive(parts.hanzodPid), { timeout: 5000 }).toBe(false);
    await expect.poll(() => alive(parts.isolatedPid), { timeout: 5000 }).toBe(false);
    for (const port of [listen, admin, portOf(parts.hanzodUrl), portOf(parts.isolatedUrl)]) expect(await listening(port)).toBe(false);

    // Nothing of hanzod's went into the legacy's files: the state database keeps its schema, and the only
    // hanzod files in the legacy's dir are hanzod's own (its log; its own database and token key if it made them).
    expect(schemaOf(stateDb)).toEqual(schemaBefore);
    const hanzodOwn = /^(logs\/hanzod\.log|hanzod\.sqlite(-wal|-shm)?|device-token\.key)$/;
    const inLegacyDir = filesUnder(legacyDir);
    expect(inLegacyDir).toContain("logs/hanzod.log");
    expect(inLegacyDir.filter((f) => /hanzod|device-token/.test(f) && !hanzodOwn.test(f))).toEqual([]);
    // hanzonode's own files (parity store, ...) stay under up's --state-dir, and no hanzod dir was made there.
    expect(inLegacyDir.filter((f) => /parity|legacy-token|audit/.test(f))).toEqual([]);
    expect(filesUnder(stateDir)).toContain("parity.sqlite");
    expect(existsSync(join(stateDir, "hanzod"))).toBe(false);
  }, UP_TEST_MS);

  it("--hanzod-state-dir overrides the discovery; the banner says so", async () => {
    const stateDir = tempDir();
    const own = join(tempDir(), "mine");
    const [listen, admin] = [await freePort(), await freePort()];
    running = startUp(["--legacy", legacy.url, "--token", legacy.token, "--listen", String(listen), "--admin-port", String(admin), "--state-dir", stateDir, "--hanzod-state-dir", own]);
    const parts = await upReady(running);
    const said = await running.printed(/hanzod state dir:\s+(\S+)\s+\(([^\n]*)\)/);
    expect(said[1]).toBe(own);
    expect(said[2]).toBe("given by --hanzod-state-dir");
    // hanzod on a dir that is no legacy's refuses reads of the legacy's state, as before.
    const direct = await connectRaw(parts.hanzodUrl, { token: legacy.token, scopes: ["operator.read"] });
    const res = await direct.socket.request("agents.list", {});
    await direct.socket.close();
    expect(res.ok).toBe(false);
    expect(JSON.stringify(res.error)).toMatch(/legacy's state dir/);
    running.child.kill("SIGINT");
    expect((await running.exited).code).toBe(0);
    await expect.poll(() => alive(parts.hanzodPid), { timeout: 5000 }).toBe(false);
  }, UP_TEST_MS);
});

describe("choosing hanzod's state dir (no legacy needed)", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("loopback URLs", () => {
    for (const u of ["ws://127.0.0.1:1", "ws://127.5.0.1:1", "ws://localhost:1", "ws://[::1]:1", "wss://LOCALHOST/x"]) expect(isLoopbackUrl(u), u).toBe(true);
    for (const u of ["ws://10.0.0.2:1", "ws://gateway.example:1", "ws://[::2]:1", "ws://0.0.0.0:1", "not a url"]) expect(isLoopbackUrl(u), u).toBe(false);
  });

  it("a remote legacy is not asked: hanzod's own dir, and the banner's reason says why", async () => {
    const choice = await chooseHanzodStateDir({ legacyUrl: "ws://192.0.2.1:18789", token: "t", hanzonodeStateDir: "/srv/hn" });
    expect(choice).toMatchObject({ stateDir: "/srv/hn/hanzod", legacyState: false });
    expect(choice.reason).toMatch(/^hanzod's own, not the legacy's: the legacy at ws:\/\/192\.0\.2\.1:18789 is not on this machine's loopback/);
  });

  it("a config dir without the legacy's state database, or one that is no database, is refused with the reason", () => {
    const d = mkdtempSync(join(tmpdir(), "hanzonode-upstate-"));
    dirs.push(d);
    expect(() => legacyStateDirFor(join(d, "nowhere", "openclaw.json"))).toThrow(/does not exist on this machine/);
    expect(() => legacyStateDirFor(join(d, "openclaw.json"))).toThrow(/holds no state\/openclaw\.sqlite/);
    mkdirSync(join(d, "state"));
    writeFileSync(join(d, STATE_DB_RELATIVE), "not a database");
    expect(() => legacyStateDirFor(join(d, "openclaw.json"))).toThrow(/not a readable SQLite database/);
  });
});

describe("hanzod's start on a legacy state dir while the legacy makes an agent database", () => {
  it("skips an agent database the legacy has created but not yet made (no schema); refuses one at version 0 with tables", () => {
    const d = mkdtempSync(join(tmpdir(), "hanzonode-upstate-"));
    try {
      mkdirSync(join(d, "state"));
      const state = openSqlite(join(d, STATE_DB_RELATIVE));
      state.pragma(`user_version = ${supportedVersions("state")[0]!}`);
      state.close();
      const agentDb = (id: string): string => {
        mkdirSync(join(d, "agents", id, "agent"), { recursive: true });
        return join(d, "agents", id, "agent", "openclaw-agent.sqlite");
      };
      writeFileSync(agentDb("main"), "");
      expect(openLegacyState(d).agents).toEqual([]);
      const half = openSqlite(agentDb("other"));
      half.exec("CREATE TABLE t (x)");
      half.close();
      expect(() => openLegacyState(d)).toThrow(/schema version 0/);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
