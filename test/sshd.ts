/**
 * A real OpenSSH server for tests: Debian's sshd on a free loopback port with a throwaway host key and
 * user key, in the foreground (-D) with its own config, stopped by PID. Also known_hosts files: the
 * right host key, and a different one (a "changed host key").
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { freePort } from "../scripts/legacy/free-port.js";

export const SSHD = "/usr/sbin/sshd";

export interface TestSshd {
  port: number;
  user: string;
  dir: string;
  /** user@127.0.0.1:port */
  target: string;
  userKey: string;
  /** A key the server does not accept. */
  strangerKey: string;
  knownHosts: string;
  wrongKnownHosts: string;
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Why sshd cannot run here, or undefined when it can. */
export function sshdUnavailable(): string | undefined {
  if (!existsSync(SSHD)) return `${SSHD} is not installed (scripts/ci/ensure-services.sh installs openssh-server)`;
  if (spawnSync("ssh", ["-V"]).error) return "the ssh client is not installed";
  if (!existsSync("/run/sshd")) {
    try {
      mkdirSync("/run/sshd", { mode: 0o755 });
    } catch {
      return "/run/sshd (sshd's privilege separation dir) is missing and cannot be created";
    }
  }
  return undefined;
}

function keygen(path: string): string {
  const r = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "hanzonode-test", "-f", path], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
  return readFileSync(`${path}.pub`, "utf8").trim();
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

export async function startSshd(): Promise<TestSshd> {
  const dir = mkdtempSync(join(tmpdir(), "hanzonode-sshd-"));
  const port = await freePort();
  const user = userInfo().username;
  const hostPub = keygen(join(dir, "host_ed25519"));
  const otherHostPub = keygen(join(dir, "other_host_ed25519"));
  const userPub = keygen(join(dir, "user_ed25519"));
  keygen(join(dir, "stranger_ed25519"));
  writeFileSync(join(dir, "authorized_keys"), `${userPub}\n`, { mode: 0o600 });
  const hostName = `[127.0.0.1]:${port}`;
  writeFileSync(join(dir, "known_hosts"), `${hostName} ${hostPub.split(" ").slice(0, 2).join(" ")}\n`);
  writeFileSync(join(dir, "wrong_known_hosts"), `${hostName} ${otherHostPub.split(" ").slice(0, 2).join(" ")}\n`);
  writeFileSync(
    join(dir, "sshd_config"),
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${join(dir, "host_ed25519")}`,
      `PidFile ${join(dir, "sshd.pid")}`,
      `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
      "PubkeyAuthentication yes",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      "StrictModes no",
      "PermitRootLogin prohibit-password",
      `AllowUsers ${user}`,
      "AllowTcpForwarding local",
      "PermitTTY no",
      "ClientAliveInterval 5",
      "LogLevel VERBOSE",
      "",
    ].join("\n"),
  );
  const child = spawn(SSHD, ["-D", "-e", "-f", join(dir, "sshd_config")], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr!.on("data", (c: Buffer) => (log += c.toString()));
  const deadline = Date.now() + 30_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null) throw new Error(`sshd exited ${child.exitCode}: ${log}`);
    if (Date.now() > deadline) throw new Error(`sshd did not listen within 30 s: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    user,
    dir,
    target: `${user}@127.0.0.1:${port}`,
    userKey: join(dir, "user_ed25519"),
    strangerKey: join(dir, "stranger_ed25519"),
    knownHosts: join(dir, "known_hosts"),
    wrongKnownHosts: join(dir, "wrong_known_hosts"),
    pid: child.pid!,
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
