/**
 * hanzod's Control UI over HTTP (core/http/control-ui.ts) on a made-up root beside a secret: index.html as
 * the legacy serves it from a configured root (rewrites, CSP with the inline scripts' hashes, no build id),
 * assets by type, the app-shell fallback, the bootstrap config behind the WebSocket's token, and no way out of
 * the root (dot segments raw and encoded, backslashes, NUL, absolute paths, a symlink and a hard link out).
 */
import { createHash } from "node:crypto";
import { linkSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestHanzod, type TestHanzod } from "./helpers.js";
import { acceptsHtml, uiRelativePath } from "../core/http/control-ui.js";
import { resolveControlUiRoot } from "../control-ui-root.js";
import { ConfigError } from "../config-error.js";

const INLINE = "globalThis.__boot = 1;";
const INDEX = `<!doctype html>
<html data-openclaw-control-ui-build-id="9.9.9-release-abc-${"0".repeat(64)}" lang="en"><head>
<link rel="icon" href="./favicon.svg" />
<script>${INLINE}</script>
<script type="module" src="./assets/app.js"></script>
</head><body><openclaw-app></openclaw-app></body></html>`;
const SECRET = "not for the browser";

let base: string;
let hz: TestHanzod;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), "hanzod-control-ui-"));
  const root = join(base, "control-ui");
  mkdirSync(join(root, "assets"), { recursive: true });
  writeFileSync(join(root, "index.html"), INDEX);
  writeFileSync(join(root, "favicon.svg"), "<svg/>");
  writeFileSync(join(root, "assets", "app.js"), "export {};");
  writeFileSync(join(base, "secret.txt"), SECRET);
  writeFileSync(join(base, "hard-source.js"), SECRET);
  symlinkSync(join(base, "secret.txt"), join(root, "assets", "out.js"));
  linkSync(join(base, "hard-source.js"), join(root, "assets", "hard.js"));
  hz = await startTestHanzod({ controlUiRoot: root });
});
afterAll(async () => {
  await hz?.stop();
  rmSync(base, { recursive: true, force: true });
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request with `path` sent exactly as written (no client-side normalisation of dot segments). */
function get(path: string, headers: Record<string, string> = {}, method = "GET", port = hz.port): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, method, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("hanzod serves the Control UI from a root", () => {
  it("index.html as the legacy serves it from a configured root, with its security headers", async () => {
    const r = await get("/", { accept: "text/html" });
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(r.headers["cache-control"]).toBe("no-cache");
    expect(r.headers["x-frame-options"]).toBe("DENY");
    expect(r.headers["x-content-type-options"]).toBe("nosniff");
    expect(r.headers["referrer-policy"]).toBe("no-referrer");
    const hash = createHash("sha256").update(INLINE, "utf8").digest("base64");
    const csp = String(r.headers["content-security-policy"]);
    expect(csp).toContain(`script-src 'self' 'sha256-${hash}'`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain(`connect-src 'self' ws: wss: data: https://api.openai.com https://tweakcn.com http://127.0.0.1:* https://127.0.0.1:*`);
    expect(r.body).toContain('<html data-openclaw-control-ui-base-path="" data-openclaw-terminal-enabled="false" lang="en">');
    expect(r.body).not.toContain("data-openclaw-control-ui-build-id");
    expect(r.body).toContain('src="/assets/app.js"');
    expect(r.body).toContain('href="/favicon.svg"');
    // A deep link a browser navigates to gets the app shell; an asset that is not there does not.
    expect((await get("/chat/some-session", { accept: "text/html,*/*;q=0.8" })).body).toBe(r.body);
    expect((await get("/chat/some-session", { accept: "text/html;q=0, */*" })).status).toBe(404);
    expect((await get("/assets/missing.js")).status).toBe(404);
    expect((await get("/ui")).status).toBe(404);
  });

  it("assets by type; HEAD without a body; the legacy's other namespaces left alone", async () => {
    const js = await get("/assets/app.js");
    expect(js).toMatchObject({ status: 200, body: "export {};" });
    expect(js.headers["content-type"]).toBe("application/javascript; charset=utf-8");
    expect((await get("/__openclaw__/favicon.svg")).headers["content-type"]).toBe("image/svg+xml");
    const head = await get("/assets/app.js", {}, "HEAD");
    expect(head).toMatchObject({ status: 200, body: "" });
    expect((await get("/api/anything", { accept: "text/html" })).body).toBe(JSON.stringify({ error: "not found" }));
    expect((await get("/", {}, "POST")).status).toBe(404);
    expect((await get("/healthz")).body).toContain("live");
  });

  it("the bootstrap config: refused without the gateway's token, an unconfigured gateway's values with it", async () => {
    for (const path of ["/control-ui-config.json", "/__openclaw/control-ui-config.json", "/__openclaw__/control-ui-config.json"]) {
      expect((await get(path)).status).toBe(401);
      expect((await get(path, { authorization: "Bearer wrong" })).status).toBe(401);
      const ok = await get(path, { authorization: `Bearer ${hz.token}` });
      expect(ok.status).toBe(200);
      expect(JSON.parse(ok.body)).toMatchObject({ basePath: "", assistantName: "Assistant", serverVersion: expect.any(String), terminalEnabled: false, pluginAssetsRequireAuth: true, pluginFrameGrants: [] });
      expect(JSON.parse(ok.body)).not.toHaveProperty("serverBuildId");
    }
  });

  it("the bootstrap config's bearer is checked by the gateway's auth limiter: a client past 10 failures gets the legacy's 429, others are not affected", async () => {
    // Behind a trusted proxy, so the client's own (non-loopback) address is what the limiter counts.
    const behind = await startTestHanzod({ controlUiRoot: join(base, "control-ui"), trustedProxies: ["127.0.0.1", "::1"] });
    const from = (ip: string, bearer: string) => get("/control-ui-config.json", { authorization: `Bearer ${bearer}`, "x-forwarded-for": ip }, "GET", behind.port);
    try {
      for (let i = 0; i < 10; i++) expect((await from("203.0.113.9", "wrong")).status).toBe(401);
      const locked = await from("203.0.113.9", behind.token);
      expect(locked.status).toBe(429);
      expect(JSON.parse(locked.body)).toEqual({ error: { message: "Too many failed authentication attempts. Please try again later.", type: "rate_limited" } });
      expect(Number(locked.headers["retry-after"])).toBeGreaterThan(0);
      expect((await from("203.0.113.10", behind.token)).status).toBe(200);
    } finally {
      await behind.stop();
    }
  });

  it("nothing outside the root: dot segments (raw, encoded, double-encoded), backslashes, NUL, absolute paths, a symlink and a hard link out", async () => {
    const attempts = [
      "/../secret.txt",
      "/assets/../../secret.txt",
      "/%2e%2e/secret.txt",
      "/%2e%2e%2fsecret.txt",
      "/assets/%2e%2e%2f%2e%2e%2fsecret.txt",
      "/assets/..%2f..%2fsecret.txt",
      "/%252e%252e%252fsecret.txt",
      "/..%5csecret.txt",
      "/assets/..%5c..%5csecret.txt",
      "/secret.txt%00.js",
      `/${encodeURIComponent(join(base, "secret.txt"))}`,
      "//etc/passwd",
      "/%2fetc%2fpasswd",
      "/assets/out.js",
      "/assets/hard.js",
    ];
    for (const path of attempts) {
      const r = await get(path, { accept: "*/*" });
      expect(r.body, path).not.toContain(SECRET);
      expect(r.body, path).not.toContain("root:");
    }
    expect((await get("/assets/out.js")).status).toBe(404);
    expect((await get("/assets/hard.js")).status).toBe(404);
    // The path rule itself: nothing that leaves the root is a relative path inside it.
    for (const p of ["/../x", "/%2e%2e/x", "/a/%2e%2e/%2e%2e/x", "/..%5cx", "/%00", "/%2fetc", "/C:%5cx", "/%E0%A4%A"]) expect(uiRelativePath(p), p).toBeUndefined();
    expect(uiRelativePath("/assets/a.js")).toBe("assets/a.js");
    expect(uiRelativePath("/deep/link/")).toBe("deep/link/index.html");
  });

  it("the app-shell rule follows Accept as the legacy's does", () => {
    expect(acceptsHtml(undefined)).toBe(true);
    expect(acceptsHtml("*/*")).toBe(true);
    expect(acceptsHtml("text/html;q=0, */*")).toBe(false);
    expect(acceptsHtml("application/json")).toBe(false);
  });

  it("--control-ui-root: by default the UI of the openclaw on PATH (its package's dist/control-ui), none, or a dir that must hold one", () => {
    const pkg = join(base, "lib", "node_modules", "openclaw");
    mkdirSync(join(pkg, "dist", "control-ui"), { recursive: true });
    writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: "openclaw" }));
    writeFileSync(join(pkg, "openclaw.mjs"), "");
    writeFileSync(join(pkg, "dist", "control-ui", "index.html"), INDEX);
    mkdirSync(join(base, "bin"));
    symlinkSync(join(pkg, "openclaw.mjs"), join(base, "bin", "openclaw"));
    const PATH = [join(base, "nothing-here"), join(base, "bin")].join(":");
    expect(resolveControlUiRoot(undefined, { PATH })).toBe(join(realpathSync(pkg), "dist", "control-ui"));
    expect(resolveControlUiRoot(undefined, { PATH: join(base, "nothing-here") })).toBeUndefined();
    expect(resolveControlUiRoot("none", { PATH })).toBeUndefined();
    expect(resolveControlUiRoot(join(base, "control-ui"), {})).toBe(join(base, "control-ui"));
    expect(() => resolveControlUiRoot(join(base, "bin"), {})).toThrow(ConfigError);
  });
});
