/**
 * The LaunchAgent hanzod runs under on macOS, with the legacy gateway's launchd policy: RunAtLoad,
 * KeepAlive, ThrottleInterval 10 s, Interactive process type, umask 077, stdin from /dev/null. launchd
 * has no per-exit-code stop rule like systemd's RestartPreventExitStatus, so a configuration error
 * (exit 78) is retried every ThrottleInterval; `hanzod service status` names it from the log.
 */
export interface LaunchAgentSpec {
  label: string;
  comment: string;
  programArguments: string[];
  environment: Record<string, string>;
  workingDirectory?: string;
  stdoutPath: string;
  stderrPath: string;
}

export function plistEscape(value: string): string {
  return value.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;").replaceAll("'", "&apos;");
}

const str = (s: string) => `<string>${plistEscape(s)}</string>`;

export function renderLaunchAgentPlist(spec: LaunchAgentSpec): string {
  const env = Object.entries(spec.environment);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    "  <dict>",
    "    <key>Label</key>",
    `    ${str(spec.label)}`,
    "    <key>Comment</key>",
    `    ${str(spec.comment)}`,
    "    <key>RunAtLoad</key>",
    "    <true/>",
    "    <key>KeepAlive</key>",
    "    <true/>",
    "    <key>ExitTimeOut</key>",
    "    <integer>20</integer>",
    "    <key>ProcessType</key>",
    "    <string>Interactive</string>",
    "    <key>ThrottleInterval</key>",
    "    <integer>10</integer>",
    "    <key>Umask</key>",
    "    <integer>63</integer>",
    "    <key>ProgramArguments</key>",
    "    <array>",
    ...spec.programArguments.map((a) => `      ${str(a)}`),
    "    </array>",
    ...(spec.workingDirectory ? ["    <key>WorkingDirectory</key>", `    ${str(spec.workingDirectory)}`] : []),
    "    <key>StandardInPath</key>",
    "    <string>/dev/null</string>",
    "    <key>StandardOutPath</key>",
    `    ${str(spec.stdoutPath)}`,
    "    <key>StandardErrorPath</key>",
    `    ${str(spec.stderrPath)}`,
    ...(env.length > 0 ? ["    <key>EnvironmentVariables</key>", "    <dict>", ...env.flatMap(([k, v]) => [`      <key>${plistEscape(k)}</key>`, `      ${str(v)}`]), "    </dict>"] : []),
    "  </dict>",
    "</plist>",
    "",
  ];
  return lines.join("\n");
}

function plistUnescape(value: string): string {
  return value.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&quot;", '"').replaceAll("&apos;", "'").replaceAll("&amp;", "&");
}

/** ProgramArguments and EnvironmentVariables of a LaunchAgent plist (ours or the legacy's; XML form). */
export function readLaunchAgentPlist(text: string): { programArguments: string[]; environment: Record<string, string> } {
  const args = /<key>ProgramArguments<\/key>\s*<array>([\s\S]*?)<\/array>/i.exec(text)?.[1] ?? "";
  const programArguments = [...args.matchAll(/<string>([\s\S]*?)<\/string>/gi)].map((m) => plistUnescape(m[1] ?? ""));
  const envXml = /<key>EnvironmentVariables<\/key>\s*<dict>([\s\S]*?)<\/dict>/i.exec(text)?.[1] ?? "";
  const environment: Record<string, string> = {};
  for (const m of envXml.matchAll(/<key>([\s\S]*?)<\/key>\s*<string>([\s\S]*?)<\/string>/gi)) environment[plistUnescape(m[1] ?? "")] = plistUnescape(m[2] ?? "");
  return { programArguments, environment };
}
