/**
 * Keeps `ssh -N -L 127.0.0.1:<local>:127.0.0.1:<remote> user@host` up: strict host-key checking by
 * default, keepalives so a dead path is noticed, and reconnection with capped exponential backoff on the
 * same local port (clients keep their URL). A tunnel counts as up once a request through it reaches the
 * remote gateway (GET /readyz), so "ssh connected but nothing listens there" is reported as such.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import { request } from "node:http";
import { classifySshFailure, type SshFailure } from "./ssh-failure.js";

export interface SshTunnelOptions {
  /** user@host or user@host:port (the legacy's gateway.remote.sshTarget format). */
  target: string;
  localPort: number;
  remotePort: number;
  identity?: string;
  knownHosts?: string;
  /** "strict" (default): StrictHostKeyChecking=yes. "openssh": whatever the user's ssh config says. */
  hostKeyPolicy?: "strict" | "openssh";
  sshConfig?: string;
  serverAliveIntervalS?: number;
  backoff?: { initialMs: number; maxMs: number };
  sshBin?: string;
}

export interface TunnelEvents {
  up: [{ pid: number; localUrl: string; attempt: number }];
  down: [{ failure: SshFailure; retryInMs?: number }];
  fatal: [SshFailure];
}

export function splitTarget(target: string): { destination: string; port?: number } {
  const m = /^(.+@)?(\[[^\]]+\]|[^:@]+)(?::(\d+))?$/.exec(target.trim());
  if (!m) throw new Error(`--ssh ${JSON.stringify(target)}: use user@host or user@host:port`);
  return { destination: `${m[1] ?? ""}${m[2]}`, ...(m[3] ? { port: Number(m[3]) } : {}) };
}

export function sshArgs(o: SshTunnelOptions): string[] {
  const { destination, port } = splitTarget(o.target);
  const args = ["-N", "-T"];
  if (o.sshConfig) args.push("-F", o.sshConfig);
  args.push("-o", "BatchMode=yes", "-o", "ExitOnForwardFailure=yes", "-o", `ServerAliveInterval=${o.serverAliveIntervalS ?? 15}`, "-o", "ServerAliveCountMax=3", "-o", "ConnectTimeout=10");
  if ((o.hostKeyPolicy ?? "strict") === "strict") args.push("-o", "StrictHostKeyChecking=yes");
  if (o.knownHosts) args.push("-o", `UserKnownHostsFile=${o.knownHosts}`, "-o", "GlobalKnownHostsFile=/dev/null");
  if (o.identity) args.push("-i", o.identity, "-o", "IdentitiesOnly=yes");
  if (port) args.push("-p", String(port));
  args.push("-L", `127.0.0.1:${o.localPort}:127.0.0.1:${o.remotePort}`, destination);
  return args;
}

function probeReady(port: number): Promise<"ok" | "closed" | "no-listener"> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path: "/readyz", method: "GET", timeout: 5_000, agent: false }, (res) => {
      res.resume();
      resolve("ok");
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (err: NodeJS.ErrnoException) => resolve(err.code === "ECONNREFUSED" ? "no-listener" : "closed"));
    req.end();
  });
}

export class SshTunnel extends EventEmitter<TunnelEvents> {
  private child: ChildProcess | undefined;
  private stopped = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  readonly localUrl: string;

  constructor(private readonly o: SshTunnelOptions) {
    super();
    this.localUrl = `ws://127.0.0.1:${o.localPort}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  private connect(): void {
    this.attempt++;
    const attempt = this.attempt;
    let stderr = "";
    let upReported = false;
    let closedReported = false;
    const child = spawn(this.o.sshBin ?? "ssh", sshArgs(this.o), { stdio: ["ignore", "ignore", "pipe"] });
    this.child = child;
    child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()).length > 16_384 && (stderr = stderr.slice(-8_192)));
    child.on("error", () => undefined);
    // Up = the forward answers; poll until then (ssh -N says nothing when the forward is ready).
    const poll = async (): Promise<void> => {
      for (let i = 0; i < 300 && this.child === child && child.exitCode === null && !this.stopped; i++) {
        const r = await probeReady(this.o.localPort);
        if (r === "ok") {
          upReported = true;
          this.attempt = 0;
          this.emit("up", { pid: child.pid!, localUrl: this.localUrl, attempt });
          return;
        }
        if (r === "closed" && !closedReported && /open failed|connect failed/i.test(stderr)) {
          closedReported = true; // once per connection: ssh stays up and keeps polling for the remote
          this.emit("down", { failure: classifySshFailure(stderr, this.o.target, null) });
        }
        await new Promise((res) => setTimeout(res, 100 + Math.min(i, 20) * 50));
      }
    };
    void poll();
    child.on("exit", (code) => {
      if (this.child !== child) return;
      this.child = undefined;
      if (this.stopped) return;
      const failure = classifySshFailure(stderr, this.o.target, code);
      if (!failure.retry && !upReported) {
        this.stopped = true;
        this.emit("fatal", failure);
        return;
      }
      const b = this.o.backoff ?? { initialMs: 500, maxMs: 30_000 };
      const retryInMs = Math.min(b.maxMs, b.initialMs * 2 ** Math.max(0, this.attempt - 1));
      this.emit("down", { failure, retryInMs });
      this.timer = setTimeout(() => this.connect(), retryInMs);
    });
  }

  /** Stops the tunnel and its ssh child (by PID); resolves once it has exited. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await gone;
  }
}
