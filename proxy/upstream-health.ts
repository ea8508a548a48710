/**
 * Whether each backend is there: its readiness probe (`GET /readyz`, served by the legacy gateway and by
 * hanzod alike), asked every few seconds off the request path, plus what every client upgrade learns on
 * the way (a backend that refused a connection, or answered it, is reachable; a connect error is not).
 * Without it a dead legacy shows only as 502s to clients; with it, /metrics and the admin /readyz say
 * which backend is missing and why, and the log says so once per change, not once per client.
 */
import { request as httpRequest, type ClientRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Logger } from "./log.js";
import type { Backend } from "./tap.js";

export interface UpstreamStatus {
  url: string;
  /** null until the first probe or upgrade has said anything. */
  up: boolean | null;
  /** Why it is down (the connect error, or the readiness answer), null while up. */
  detail: string | null;
  checkedAt: number | null;
}

/** What opening a client's leg reports (proxy/upgrade.ts). */
export interface UpstreamReporter {
  reachable(backend: Backend): void;
  unreachable(backend: Backend, why: string): void;
}

export const UPSTREAM_PROBE_INTERVAL_MS = 5_000;
const PROBE_TIMEOUT_MS = 2_000;

export class UpstreamHealth implements UpstreamReporter {
  private readonly status = new Map<Backend, UpstreamStatus>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Probes in flight, cut off on stop so no socket to a backend outlives the proxy. */
  private readonly inFlight = new Set<ClientRequest>();

  constructor(
    /** http(s) origin per configured backend. */
    origins: Partial<Record<Backend, string>>,
    private readonly log: Logger,
    private readonly onChange: (backend: Backend, up: boolean) => void,
    private readonly intervalMs = UPSTREAM_PROBE_INTERVAL_MS,
  ) {
    for (const [backend, url] of Object.entries(origins) as Array<[Backend, string | undefined]>) {
      if (url !== undefined) this.status.set(backend, { url, up: null, detail: null, checkedAt: null });
    }
  }

  /** Probes every backend now and then every interval, in the background: a slow backend never delays startup. */
  start(): void {
    void this.probeAll();
    this.timer = setInterval(() => void this.probeAll(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    for (const req of this.inFlight) req.destroy();
    this.inFlight.clear();
  }

  /** True unless the backend is known to be down (unknown counts as up: nothing has failed yet). */
  isUp(backend: Backend): boolean {
    return this.status.get(backend)?.up !== false;
  }

  snapshot(): Partial<Record<Backend, UpstreamStatus>> {
    return Object.fromEntries([...this.status].map(([b, s]) => [b, { ...s }]));
  }

  reachable(backend: Backend): void {
    this.set(backend, true, null);
  }

  unreachable(backend: Backend, why: string): void {
    this.set(backend, false, why);
  }

  private async probeAll(): Promise<void> {
    await Promise.all([...this.status.keys()].map((b) => this.probe(b)));
  }

  private async probe(backend: Backend): Promise<void> {
    const s = this.status.get(backend);
    if (s === undefined) return;
    const r = await readiness(`${s.url}/readyz`, this.inFlight);
    if (r.ok) this.set(backend, true, null);
    else this.set(backend, false, r.why);
  }

  private set(backend: Backend, up: boolean, detail: string | null): void {
    const s = this.status.get(backend);
    if (s === undefined || this.stopped) return;
    const changed = s.up !== up;
    s.up = up;
    s.detail = detail;
    s.checkedAt = Date.now();
    if (!changed) return;
    if (up) this.log.info({ backend, url: s.url }, `${backend} is reachable`);
    else this.log.warn({ backend, url: s.url, why: detail }, `${backend} is unreachable: clients whose connections it owns get 502 until it answers`);
    this.onChange(backend, up);
  }
}

/**
 * One GET without keep-alive: a pooled probe socket would linger on the backend between probes (and
 * hold up its shutdown) for no gain at one request every few seconds.
 */
function readiness(url: string, inFlight: Set<ClientRequest>): Promise<{ ok: true } | { ok: false; why: string }> {
  return new Promise((resolve) => {
    const request = url.startsWith("https:") ? httpsRequest : httpRequest;
    const req = request(url, { method: "GET", agent: false, timeout: PROBE_TIMEOUT_MS }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        if (body.length < 200) body += d;
      });
      res.on("end", () => {
        const status = res.statusCode ?? 0;
        resolve(status >= 200 && status < 300 ? { ok: true } : { ok: false, why: `readiness ${status}${body ? `: ${body.slice(0, 200).trim()}` : ""}` });
      });
      res.on("error", (err) => resolve({ ok: false, why: err.message }));
    });
    inFlight.add(req);
    req.on("close", () => inFlight.delete(req));
    req.on("timeout", () => req.destroy(new Error(`no readiness answer within ${PROBE_TIMEOUT_MS} ms`)));
    req.on("error", (err) => resolve({ ok: false, why: err.message }));
    req.end();
  });
}
