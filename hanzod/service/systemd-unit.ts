/**
 * The systemd user unit hanzod runs under, rendered with the legacy gateway's service policy
 * (`openclaw gateway install`): restart always, but never after exit 78 (a configuration error), a start
 * limit of 5 in 60 s, SIGTERM's 143 counted as success, the whole control group stopped. Also the one
 * parser of ExecStart= / Environment= lines, used to read our unit back and to read a legacy unit.
 */
const LINE_BREAK = /[\r\n]/;

function assertOneLine(value: string, what: string): void {
  if (LINE_BREAK.test(value)) throw new Error(`${what} cannot contain CR or LF characters`);
}

/** Quotes a word for ExecStart=/Environment= when it holds spaces, quotes or backslashes. */
export function systemdQuote(value: string): string {
  assertOneLine(value, "systemd unit values");
  if (!/[\s"\\]/.test(value)) return value;
  return `"${value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

export interface SystemdUnitSpec {
  description: string;
  programArguments: string[];
  environment: Record<string, string>;
  workingDirectory?: string;
}

export function renderSystemdUnit(spec: SystemdUnitSpec): string {
  assertOneLine(spec.description, "Description");
  const env = Object.entries(spec.environment).map(([k, v]) => {
    assertOneLine(k, "environment names");
    return `Environment=${systemdQuote(`${k}=${v}`)}`;
  });
  return [
    "[Unit]",
    `Description=${spec.description}`,
    "After=network-online.target",
    "Wants=network-online.target",
    "StartLimitBurst=5",
    "StartLimitIntervalSec=60",
    "",
    "[Service]",
    `ExecStart=${spec.programArguments.map(systemdQuote).join(" ")}`,
    "Restart=always",
    "RestartSec=5",
    "RestartPreventExitStatus=78",
    "TimeoutStopSec=330",
    "TimeoutStartSec=30",
    "SuccessExitStatus=0 143",
    "OOMPolicy=continue",
    "KillMode=control-group",
    ...(spec.workingDirectory ? [`WorkingDirectory=${systemdQuote(spec.workingDirectory)}`] : []),
    ...env,
    "",
    "[Install]",
    "WantedBy=default.target",
    "",
  ].join("\n");
}

/** Splits a systemd command line into words: double or single quotes, backslash escapes (systemd.syntax). */
export function splitSystemdWords(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote) {
      if (c === "\\" && i + 1 < line.length) word += line[++i];
      else if (c === quote) quote = undefined;
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === "\\" && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unterminated ${quote} in ${JSON.stringify(line)}`);
  if (inWord) words.push(word);
  return words;
}

export interface ParsedUnit {
  execStart?: string[];
  environment: Record<string, string>;
}

/** Reads ExecStart= (its last assignment, without systemd's `-@:+!` prefixes) and every Environment= pair. */
export function parseSystemdUnit(text: string): ParsedUnit {
  const out: ParsedUnit = { environment: {} };
  let section = "";
  for (const raw of text.replace(/\\\r?\n/g, " ").split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    if (line.startsWith("[")) {
      section = line;
      continue;
    }
    if (section !== "[Service]") continue;
    const eq = line.indexOf("=");
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (key === "ExecStart") out.execStart = splitSystemdWords(value.replace(/^[-@:+!]+/, ""));
    if (key === "Environment") {
      for (const pair of splitSystemdWords(value)) {
        const at = pair.indexOf("=");
        if (at > 0) out.environment[pair.slice(0, at)] = pair.slice(at + 1);
      }
    }
  }
  return out;
}
