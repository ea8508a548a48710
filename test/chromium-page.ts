/**
 * Headless Debian Chromium driven over the DevTools protocol (CDP), for tests that load a real page
 * (the legacy's Control UI) and watch what it does: its navigations, its WebSocket frames, its visible
 * text (shadow DOM included) and a screenshot.
 *
 * Why not playwright-core: the few CDP commands below are all these tests need, `ws` (already the
 * project's WebSocket library) speaks them, and the browser is Debian's own chromium in any case
 * (scripts/ensure-chromium.sh), so no browser download and no second dependency to pin.
 *
 * One fresh profile per browser (deleted at close), loopback only, the process group stopped by PID.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { REPO_ROOT } from "../protocol/index.js";

export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
] as const;

/** The chromium binary, installed on first use by scripts/ensure-chromium.sh. */
export function ensureChromium(): string {
  return execFileSync("sh", [join(REPO_ROOT, "scripts", "ensure-chromium.sh")], { encoding: "utf8", timeout: 600_000 }).trim().split("\n").pop()!;
}

/** One WebSocket the page opened, with every frame it sent and received (text frames, in order). */
export interface PageSocket {
  url: string;
  sent: string[];
  received: string[];
  closed: boolean;
}

type CdpMessage = { id?: number; method?: string; params?: Record<string, unknown>; result?: Record<string, unknown>; error?: { message: string }; sessionId?: string };

/** A minimal CDP connection: numbered commands, events by name, one page session. */
class Cdp {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(r: Record<string, unknown>): void; reject(e: Error): void }>();
  readonly listeners: Array<(m: CdpMessage) => void> = [];

  constructor(private readonly ws: WebSocket) {
    ws.on("message", (data) => {
      const m = JSON.parse(String(data)) as CdpMessage;
      if (m.id !== undefined) {
        const w = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        if (m.error) w?.reject(new Error(`CDP: ${m.error.message}`));
        else w?.resolve(m.result ?? {});
        return;
      }
      for (const l of this.listeners) l(m);
    });
    ws.on("close", () => {
      for (const w of this.waiting.values()) w.reject(new Error("CDP connection closed"));
      this.waiting.clear();
    });
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  }

  close(): void {
    this.ws.close();
  }
}

export class ChromiumPage {
  /** Every WebSocket the page opened, by CDP request id, in creation order. */
  readonly sockets = new Map<string, PageSocket>();
  /** URLs of main-frame navigations (a reload counts again). */
  readonly navigations: string[] = [];
  readonly consoleErrors: string[] = [];
  /** Requests of the page that failed (URL and Chromium's reason), for failure messages. */
  readonly failedRequests: string[] = [];
  private readonly requestUrls = new Map<string, string>();

  private constructor(
    private readonly child: ChildProcess,
    private readonly profile: string,
    private readonly cdp: Cdp,
    private readonly session: string,
    private readonly mainFrameId: string,
  ) {
    cdp.listeners.push((m) => {
      if (m.sessionId !== this.session || m.params === undefined) return;
      const p = m.params;
      switch (m.method) {
        case "Network.webSocketCreated":
          this.sockets.set(String(p.requestId), { url: String(p.url), sent: [], received: [], closed: false });
          break;
        case "Network.webSocketFrameSent":
          this.sockets.get(String(p.requestId))?.sent.push(String((p.response as { payloadData?: unknown }).payloadData));
          break;
        case "Network.webSocketFrameReceived":
          this.sockets.get(String(p.requestId))?.received.push(String((p.response as { payloadData?: unknown }).payloadData));
          break;
        case "Network.webSocketClosed": {
          const s = this.sockets.get(String(p.requestId));
          if (s) s.closed = true;
          break;
        }
        case "Page.frameNavigated": {
          const frame = p.frame as { id: string; parentId?: string; url: string };
          if (frame.parentId === undefined && frame.id === this.mainFrameId) this.navigations.push(frame.url);
          break;
        }
        case "Network.requestWillBeSent":
          this.requestUrls.set(String(p.requestId), String((p.request as { url?: unknown }).url));
          break;
        case "Network.loadingFailed":
          this.failedRequests.push(`${this.requestUrls.get(String(p.requestId)) ?? "?"}: ${String(p.errorText)}`);
          break;
        case "Runtime.exceptionThrown":
          this.consoleErrors.push(JSON.stringify((p.exceptionDetails as { text?: unknown })?.text ?? p.exceptionDetails));
          break;
      }
    });
  }

  /** Starts chromium with a fresh profile and opens one blank page with Network/Page/Runtime events on. */
  static async launch(chromium: string, opts: { width?: number; height?: number } = {}): Promise<ChromiumPage> {
    const profile = mkdtempSync(join(tmpdir(), "hanzonode-chromium-"));
    const width = opts.width ?? 1280;
    const height = opts.height ?? 860;
    const child = spawn(chromium, [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", `--window-size=${width},${height}`, "about:blank"], {
      stdio: ["ignore", "ignore", "pipe"],
      detached: true,
    });
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    try {
      const browserWs = await devToolsEndpoint(profile, child, () => stderr);
      const ws = new WebSocket(browserWs, { perMessageDeflate: false, maxPayload: 0 });
      await new Promise<void>((resolve, reject) => {
        ws.once("open", () => resolve());
        ws.once("error", reject);
      });
      const cdp = new Cdp(ws);
      const { targetId } = (await cdp.send("Target.createTarget", { url: "about:blank" })) as { targetId: string };
      const { sessionId } = (await cdp.send("Target.attachToTarget", { targetId, flatten: true })) as { sessionId: string };
      const page = new ChromiumPage(child, profile, cdp, sessionId, targetId);
      await Promise.all([page.send("Network.enable"), page.send("Page.enable"), page.send("Runtime.enable")]);
      await page.send("Emulation.setDeviceMetricsOverride", { width, height, deviceScaleFactor: 1, mobile: false });
      return page;
    } catch (err) {
      stopGroup(child);
      rmSync(profile, { recursive: true, force: true });
      throw err;
    }
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    return this.cdp.send(method, params, this.session);
  }

  async navigate(url: string): Promise<void> {
    const r = (await this.send("Page.navigate", { url })) as { errorText?: string };
    if (r.errorText) throw new Error(`navigation to ${url} failed: ${r.errorText}`);
  }

  /** Evaluates an expression in the page and returns its JSON value. */
  async evaluate<T>(expression: string): Promise<T> {
    const r = (await this.send("Runtime.evaluate", { expression, returnByValue: true, awaitPromise: true })) as { result?: { value?: T }; exceptionDetails?: { text?: string } };
    if (r.exceptionDetails) throw new Error(`page evaluation failed: ${r.exceptionDetails.text ?? "exception"}`);
    return r.result?.value as T;
  }

  /** The visible text of the page, shadow roots included (the Control UI is built of web components). */
  text(): Promise<string> {
    return this.evaluate<string>(`(() => {
      const out = [];
      const walk = (node) => {
        if (node.nodeType === Node.TEXT_NODE) { const t = node.textContent.trim(); if (t) out.push(t); return; }
        if (node.nodeType !== Node.ELEMENT_NODE && node.nodeType !== Node.DOCUMENT_FRAGMENT_NODE && node.nodeType !== Node.DOCUMENT_NODE) return;
        if (node.nodeType === Node.ELEMENT_NODE) {
          const tag = node.tagName;
          if (tag === "SCRIPT" || tag === "STYLE" || tag === "TEMPLATE") return;
          const style = getComputedStyle(node);
          if (style.display === "none" || style.visibility === "hidden") return;
          if (node.shadowRoot) walk(node.shadowRoot);
        }
        for (const c of node.childNodes) walk(c);
      };
      walk(document);
      return out.join("\\n");
    })()`);
  }

  async screenshot(): Promise<Buffer> {
    const { data } = (await this.send("Page.captureScreenshot", { format: "png" })) as { data: string };
    return Buffer.from(data, "base64");
  }

  /** Ends the browser: the CDP connection, then the whole process group by its leader's PID, then the profile. */
  async close(): Promise<void> {
    this.cdp.close();
    stopGroup(this.child);
    if (this.child.exitCode === null && this.child.signalCode === null) await new Promise((r) => this.child.once("exit", r));
    rmSync(this.profile, { recursive: true, force: true });
  }
}

function stopGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    // Chromium forks helpers into its process group: end the group by its leader's PID.
    process.kill(-child.pid, "SIGKILL");
  } catch {
    /* already gone */
  }
}

/** Chromium writes its DevTools port into the profile once it listens (port 0 = any free port). */
async function devToolsEndpoint(profile: string, child: ChildProcess, stderr: () => string, timeoutMs = 60_000): Promise<string> {
  const file = join(profile, "DevToolsActivePort");
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`chromium exited ${child.exitCode}: ${stderr()}`);
    if (existsSync(file)) {
      const [port, path] = readFileSync(file, "utf8").split("\n");
      if (port && path) return `ws://127.0.0.1:${port}${path}`;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`chromium did not open its DevTools port within ${timeoutMs} ms: ${stderr()}`);
}
