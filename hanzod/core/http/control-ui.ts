/**
 * The legacy's Control UI, served by hanzod from the installed legacy package's assets
 * (`<openclaw package>/dist/control-ui`), so a browser reaches hanzod with no proxy and no legacy behind it.
 *
 * hanzod serves it the way the legacy serves a Control UI from a *configured* root (`gateway.controlUi.root`,
 * dist control-ui.ts `handleControlUiHttpRequest` with a non-bundled root): the assets are not hanzod's own
 * build, so index.html carries no build id, assets are revalidated (`no-cache`) rather than immutable, the
 * bootstrap config names no `serverBuildId`, and hello-ok says `controlUiBuildSource: "configured"`, which tells
 * the UI not to compare its own build with the server's (a mismatch would otherwise make it reload).
 *
 * Base path: none (the legacy's default), paths as the legacy's with no base path:
 * - `/`, and any path a browser navigates to (Accept allows text/html): index.html with the legacy's rewrites
 *   (asset hrefs anchored at `/`, the base-path and terminal attributes) and a CSP naming the hashes of its
 *   inline scripts; `/ui` and `/ui/...` are 404, as there.
 * - files under the root (`/assets/...`, favicons, the manifest, fonts, themes...), by extension's type.
 * - `/control-ui-config.json` (and its `/__openclaw/` and `/__openclaw__/` aliases): the bootstrap config,
 *   for a bearer token or password the WebSocket would accept (an unconfigured gateway's values).
 * Not served (not the UI's start-up path; left to the legacy): share documents (`/share/...`), assistant
 * media and avatars, plugin assets, device-token bearers on the bootstrap config.
 *
 * Path safety: a request is decoded once, must stay relative (no `..`, no absolute or NUL), resolve inside
 * the root, and, after symlinks are followed, be a regular file inside the root's real path with one link
 * (the legacy's configured-root rule rejects hard links), or it is 404.
 */
import { createHash } from "node:crypto";
import { constants, openSync, fstatSync, closeSync, readFileSync, realpathSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { isAbsolute, join, posix, relative, resolve, sep, win32 } from "node:path";

export interface ControlUiOptions {
  /** The directory holding the UI's index.html (the legacy package's dist/control-ui). */
  root: string;
  /** Reported as `serverVersion` in the bootstrap config (the release hanzod answers as). */
  version: string;
  /** Whether a bearer secret opens the bootstrap config (the WebSocket's token/password; none: always). */
  authorize(req: IncomingMessage, bearer: string | undefined): Promise<BootstrapAuth>;
  /** Auth is configured (the bootstrap config's `pluginAssetsRequireAuth`). */
  authRequired: boolean;
}

export interface ControlUi {
  /** Answers `req` when it is a Control UI request; false leaves it to the caller (its 404). */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
}

/** Where the legacy finds its bundled UI: `dist/control-ui` of the openclaw package. */
export function legacyControlUiRoot(openclawPackageDir: string): string {
  return join(openclawPackageDir, "dist", "control-ui");
}

/** Whether `root` holds a UI (its index.html), so hanzod can refuse a wrong `--control-ui-root` at start. */
export function hasControlUi(root: string): boolean {
  try {
    return statSync(join(root, "index.html")).isFile();
  } catch {
    return false;
  }
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "application/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".wasm": "application/wasm",
  ".webmanifest": "application/manifest+json; charset=utf-8",
  ".woff2": "font/woff2",
};
/** Root files the UI build emits, also reachable under the `/__openclaw__/` namespace. */
const ROOT_PUBLIC_ASSETS = ["apple-touch-icon.png", "favicon-32.png", "favicon.ico", "favicon.svg", "manifest.webmanifest", "sw.js"];
const BOOTSTRAP_PATHS = new Set(["/control-ui-config.json", "/__openclaw/control-ui-config.json", "/__openclaw__/control-ui-config.json"]);
/** Namespaces the legacy gives to other handlers (its API, OpenAI-compatible, join links, plugins). */
const NOT_UI_PREFIXES = ["/api", "/v1", "/j", "/plugins", "/share"];
const BUILD_ID_ATTRIBUTE = "data-openclaw-control-ui-build-id";

const extname = (p: string): string => {
  const base = p.slice(p.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  return dot <= 0 ? "" : base.slice(dot).toLowerCase();
};

function securityHeaders(res: ServerResponse, csp = cspHeader([], undefined)): void {
  res.setHeader("X-Frame-Options", "DENY");
  res.setHeader("Content-Security-Policy", csp);
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("Referrer-Policy", "no-referrer");
  res.setHeader("Permissions-Policy", "camera=(self), microphone=*, geolocation=*, clipboard-write=*");
}

/** The legacy's CSP for Control UI responses (buildControlUiCspHeader), terminal (wasm) off. */
export function cspHeader(inlineScriptHashes: readonly string[], host: string | undefined): string {
  const connect = ["'self'", "ws:", "wss:", "data:", "https://api.openai.com", "https://tweakcn.com"];
  if (host) {
    try {
      const u = new URL(`http://${host}`);
      if (!u.username && !u.password && u.pathname === "/" && !u.search && !u.hash && u.hostname) connect.push(`http://${u.hostname}:*`, `https://${u.hostname}:*`);
    } catch {
      /* a host header that is no host: no extra origins */
    }
  }
  return [
    "default-src 'self'",
    "base-uri 'none'",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "frame-src 'self' http: https:",
    `script-src ${["'self'", ...inlineScriptHashes.map((h) => `'${h}'`)].join(" ")}`,
    "style-src 'self' 'unsafe-inline' https://fonts.googleapis.com",
    "img-src 'self' data: blob: https:",
    "media-src 'self' data: blob:",
    "font-src 'self' https://fonts.gstatic.com",
    "worker-src 'self'",
    `connect-src ${connect.join(" ")}`,
  ].join("; ");
}

/** sha256 of each inline `<script>` body (no src attribute), as the CSP's script-src lists them. */
function inlineScriptHashes(html: string): string[] {
  const out: string[] = [];
  for (const m of html.matchAll(/<script(\s[^>]*)?>([^]*?)<\/script>/gi)) {
    if (/\ssrc\s*=/i.test(m[1] ?? "") || !m[2]) continue;
    out.push(`sha256-${createHash("sha256").update(m[2], "utf8").digest("base64")}`);
  }
  return out;
}

/** index.html as the legacy serves it with no base path from a configured root. */
function prepareIndexHtml(html: string): string {
  const replacements = new Map<string, string>([
    ['src="./assets/', 'src="/assets/'],
    ['href="./assets/', 'href="/assets/'],
  ]);
  for (const asset of ROOT_PUBLIC_ASSETS) {
    replacements.set(`href="./${asset}"`, `href="/${asset}"`);
  }
  let out = html;
  for (const [from, to] of replacements) out = out.split(from).join(to);
  return out.replace(/<html\b[^>]*>/i, (tag) => tag.replace(new RegExp(`\\s${BUILD_ID_ATTRIBUTE}="[^"]*"`, "g"), "").replace(/<html\b/i, '<html data-openclaw-control-ui-base-path="" data-openclaw-terminal-enabled="false"'));
}

/** The legacy's app-shell rule: a navigation (or a headerless request) gets index.html; text/html;q=0 does not. */
export function acceptsHtml(accept: string | undefined): boolean {
  if (!accept || !accept.trim()) return true;
  let html: number | undefined;
  let wildcard: number | undefined;
  for (const part of accept.split(",")) {
    const [type, ...params] = part.trim().toLowerCase().split(";");
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    const weight = Number.isFinite(q) ? q : 0;
    if (type === "text/html") html = weight;
    else if (type === "*/*" || type === "text/*") wildcard = Math.max(wildcard ?? 0, weight);
  }
  if (html !== undefined) return html > 0;
  return (wildcard ?? 0) > 0;
}

/** The file a UI path names, relative to the root, or undefined when the path may not name one. */
export function uiRelativePath(pathname: string): string | undefined {
  let rel: string;
  if (pathname === "/") rel = "";
  else if (pathname.startsWith("/__openclaw__/") && ROOT_PUBLIC_ASSETS.includes(pathname.slice(14))) rel = pathname.slice(14);
  else {
    const assets = pathname.indexOf("/assets/");
    rel = assets >= 0 ? pathname.slice(assets + 1) : pathname.slice(1);
  }
  const requested = rel && !rel.endsWith("/") ? rel : `${rel}index.html`;
  let decoded: string;
  try {
    decoded = decodeURIComponent(requested);
  } catch {
    return undefined;
  }
  const normalized = posix.normalize(decoded.replace(/\\/g, "/"));
  if (decoded.includes("\0") || posix.isAbsolute(normalized) || win32.isAbsolute(decoded) || normalized === ".." || normalized.startsWith("../")) return undefined;
  return normalized;
}

const inside = (dir: string, p: string): boolean => {
  const r = relative(dir, p);
  return r === "" || (r !== ".." && !r.startsWith(`..${sep}`) && !isAbsolute(r));
};

/** The regular file `rel` names inside the root (symlinks followed but kept inside), or undefined. */
function openInside(root: string, rootReal: string, rel: string): { path: string; mtimeMs: number } | undefined {
  const candidate = resolve(root, rel);
  if (!inside(root, candidate)) return undefined;
  let real: string;
  try {
    real = realpathSync(candidate);
  } catch {
    return undefined;
  }
  if (!inside(rootReal, real)) return undefined;
  let fd: number;
  try {
    fd = openSync(real, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.nlink > 1) return undefined;
    return { path: real, mtimeMs: st.mtimeMs };
  } finally {
    closeSync(fd);
  }
}

function bearerOf(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  const m = typeof h === "string" ? /^Bearer\s+(.+)$/i.exec(h.trim()) : null;
  return m?.[1]?.trim() || undefined;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Cache-Control", "no-cache");
  res.end(JSON.stringify(body));
}

function notFound(res: ServerResponse): void {
  res.statusCode = 404;
  res.setHeader("Content-Type", "text/plain; charset=utf-8");
  res.end("Not Found");
}

/** The bootstrap config's auth outcome: the legacy answers a lockout 429 (with Retry-After), any other failure 401. */
export type BootstrapAuth = { ok: true } | { ok: false; rateLimited?: boolean; retryAfterMs?: number };

export function controlUi(opts: ControlUiOptions): ControlUi {
  const root = resolve(opts.root);
  const rootReal = realpathSync(root);
  // index.html is read once: the assets of an installed release do not change under a running hanzod.
  const index = prepareIndexHtml(readFileSync(join(rootReal, "index.html"), "utf8"));
  const indexHashes = inlineScriptHashes(index);

  function serveIndex(req: IncomingMessage, res: ServerResponse): void {
    res.setHeader("Content-Security-Policy", cspHeader(indexHashes, req.headers.host));
    res.setHeader("Content-Type", "text/html; charset=utf-8");
    res.setHeader("Cache-Control", "no-cache");
    res.setHeader("Vary", "Accept-Encoding");
    res.end(req.method === "HEAD" ? undefined : index);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    let pathname: string;
    try {
      pathname = new URL(req.url ?? "/", "http://localhost").pathname;
    } catch {
      return false;
    }
    if (pathname === "/ui" || pathname.startsWith("/ui/")) {
      securityHeaders(res);
      notFound(res);
      return true;
    }
    if (NOT_UI_PREFIXES.some((p) => pathname === p || pathname.startsWith(`${p}/`))) return false;
    securityHeaders(res);

    if (BOOTSTRAP_PATHS.has(pathname)) {
      const auth = await opts.authorize(req, bearerOf(req));
      if (!auth.ok) {
        if (auth.rateLimited) {
          if (auth.retryAfterMs) res.setHeader("Retry-After", String(Math.ceil(auth.retryAfterMs / 1000)));
          sendJson(res, 429, { error: { message: "Too many failed authentication attempts. Please try again later.", type: "rate_limited" } });
        } else sendJson(res, 401, { error: { message: "Unauthorized", type: "unauthorized" } });
        return true;
      }
      if (req.method === "HEAD") {
        res.statusCode = 200;
        res.setHeader("Content-Type", "application/json; charset=utf-8");
        res.setHeader("Cache-Control", "no-cache");
        res.end();
        return true;
      }
      // An unconfigured gateway's values (no assistant identity, no controlUi options); a configured root
      // names no serverBuildId.
      sendJson(res, 200, {
        basePath: "",
        assistantName: "Assistant",
        assistantAvatar: "A",
        assistantAvatarSource: null,
        assistantAvatarStatus: null,
        assistantAvatarReason: null,
        serverVersion: opts.version,
        embedSandbox: "scripts",
        allowExternalEmbedUrls: false,
        automaticallyFetchFavicons: true,
        communityInvite: true,
        terminalEnabled: false,
        cliAgentsEnabled: true,
        pluginAssetsRequireAuth: opts.authRequired,
        pluginFrameGrants: [],
      });
      return true;
    }
    // Other `/__openclaw__/` paths (capability URLs, plugin surfaces) belong to the legacy's other handlers.
    if (pathname.startsWith("/__openclaw__/") && !ROOT_PUBLIC_ASSETS.includes(pathname.slice(14))) {
      notFound(res);
      return true;
    }

    const rel = uiRelativePath(pathname);
    if (rel === undefined) {
      notFound(res);
      return true;
    }
    const file = rel === "index.html" ? undefined : openInside(root, rootReal, rel);
    if (file) {
      const ext = extname(rel);
      res.setHeader("Content-Type", CONTENT_TYPES[ext] ?? "application/octet-stream");
      res.setHeader("Cache-Control", "no-cache");
      res.setHeader("Last-Modified", new Date(Math.floor(file.mtimeMs / 1000) * 1000).toUTCString());
      res.setHeader("Vary", "Accept-Encoding");
      const since = req.headers["if-modified-since"];
      if (typeof since === "string" && Date.parse(since) >= Math.floor(file.mtimeMs / 1000) * 1000) {
        res.statusCode = 304;
        res.end();
        return true;
      }
      res.end(req.method === "HEAD" ? undefined : await readFile(file.path));
      return true;
    }
    if (rel !== "index.html" && extname(rel) !== ".html" && Object.hasOwn(CONTENT_TYPES, extname(rel))) {
      notFound(res);
      return true;
    }
    if (rel !== "index.html" && !acceptsHtml(req.headers.accept)) return false;
    serveIndex(req, res);
    return true;
  }

  return { handle };
}
