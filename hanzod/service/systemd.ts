/**
 * hanzod as a systemd user service: `systemctl --user` for the lifecycle, `loginctl` for lingering,
 * `journalctl --user` for logs. Where the user manager cannot be reached (no login session, no
 * XDG_RUNTIME_DIR) each action says which step the platform needs instead of a bare bus error.
 */
import { userInfo } from "node:os";
import { SYSTEMD_UNIT_NAME } from "./settings.js";
import { toolText, type RunTool, type ToolResult } from "./exec.js";

export interface Say {
  out(line: string): void;
  err(line: string): void;
}

export function userName(env: NodeJS.ProcessEnv): string {
  return env.USER?.trim() || env.LOGNAME?.trim() || userInfo().username;
}

function managerUnreachable(r: ToolResult): boolean {
  return /Failed to connect to bus|No medium found|\$DBUS_SESSION_BUS_ADDRESS|XDG_RUNTIME_DIR|Failed to get D-Bus connection|not been booted with systemd|System has not been booted/i.test(r.stderr) || r.code === 127;
}

export function managerHint(r: ToolResult, env: NodeJS.ProcessEnv): string {
  if (r.code === 127) return "systemctl is not installed: this machine has no systemd; run hanzod under another supervisor";
  if (/not been booted with systemd/i.test(r.stderr)) return "this machine does not run systemd as its init (a container?): no user services here; run hanzod under the container's own supervisor, or install on a systemd host";
  const runtime = env.XDG_RUNTIME_DIR?.trim() ? `XDG_RUNTIME_DIR=${env.XDG_RUNTIME_DIR}` : "XDG_RUNTIME_DIR is not set";
  return [
    `the systemd user manager is not reachable (${runtime}: ${toolText(r)}).`,
    "On a headless server, log in once or enable lingering (sudo loginctl enable-linger " + userName(env) + "),",
    "then `export XDG_RUNTIME_DIR=/run/user/$(id -u)` and run:",
    `  systemctl --user daemon-reload && systemctl --user enable --now ${SYSTEMD_UNIT_NAME}`,
  ].join("\n");
}

export class Systemctl {
  constructor(
    private readonly run: RunTool,
    private readonly env: NodeJS.ProcessEnv,
    private readonly say: Say,
  ) {}

  /** Runs `systemctl --user ...`; false (after explaining) when the manager is unreachable or refuses. */
  async user(args: string[], what: string): Promise<boolean> {
    const r = await this.run("systemctl", ["--user", ...args]);
    if (r.code === 0) return true;
    this.say.err(managerUnreachable(r) ? `hanzod service: cannot ${what}: ${managerHint(r, this.env)}` : `hanzod service: cannot ${what}: systemctl --user ${args.join(" ")} exited ${r.code}: ${toolText(r)}`);
    return false;
  }

  /** Properties of the unit as the user manager sees it, or undefined when it is unreachable. */
  async show(): Promise<Record<string, string> | ToolResult> {
    const r = await this.run("systemctl", ["--user", "show", SYSTEMD_UNIT_NAME, "-p", "LoadState,ActiveState,SubState,MainPID,ExecMainStatus,Result,NRestarts,UnitFileState"]);
    if (r.code !== 0) return r;
    return Object.fromEntries(r.stdout.split("\n").filter((l) => l.includes("=")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
  }

  /** The lingering step the legacy asks for: without it a user service stops at logout. */
  async lingeringAdvice(): Promise<string | undefined> {
    const user = userName(this.env);
    const r = await this.run("loginctl", ["show-user", user, "-p", "Linger"]);
    const value = /^Linger=(yes|no)$/m.exec(r.stdout)?.[1];
    if (value === "yes") return undefined;
    if (/not been booted with systemd/i.test(r.stderr)) return undefined;
    if (value === "no") return `Lingering is off for ${user}: user services stop when you log out. To keep hanzod running, run: sudo loginctl enable-linger ${user}`;
    return `Could not read the lingering status of ${user} (${toolText(r) || "no answer from loginctl"}). For hanzod to keep running after logout, run: sudo loginctl enable-linger ${user}`;
  }
}
