import { describe, expect, it } from "vitest";
import { parsePlainArgs, parseWithYargs, type CliArgs } from "../cli-args.js";

const KEYS = ["port", "bind", "host", "auth", "token", "password", "trusted-proxy", "user-header", "state-dir", "config", "compat", "control-ui-root", "restart-mode", "turns"] as const;

function pick(a: CliArgs): Partial<CliArgs> {
  const out: Record<string, unknown> = {};
  for (const k of KEYS) if (a[k] !== undefined) out[k] = a[k];
  return out as Partial<CliArgs>;
}

describe("hanzod command line", () => {
  it("parses the plain forms as yargs does", async () => {
    const lines = [
      [],
      ["--port", "0", "--bind", "loopback", "--auth", "token", "--token", "T", "--state-dir", "/tmp/s"],
      ["--port=18789", "--host=127.0.0.1", "--auth=password", "--password=p w", "--compat", "2026.9.1"],
      ["--auth", "trusted-proxy", "--user-header", "x-user", "--restart-mode", "exit", "--config", "./openclaw.json"],
      ["--bind", "custom", "--token", "123", "--restart-mode=in-process"],
      ["--control-ui-root", "/opt/openclaw/dist/control-ui"],
      ["--control-ui-root=none"],
      ["--turns", "text-only"],
      ["--turns=off", "--port", "0"],
    ];
    for (const line of lines) {
      const plain = parsePlainArgs(line);
      expect(plain, line.join(" ")).toBeDefined();
      expect(pick(plain!), line.join(" ")).toEqual(pick(await parseWithYargs(line)));
    }
  });

  it("leaves every other form to yargs", () => {
    for (const line of [
      ["--help"],
      ["-h"],
      ["--nope", "1"],
      ["--port", "1", "--port", "2"],
      ["--port", "x"],
      ["--port", "-1"],
      ["--bind", "tailnet"],
      ["--auth", "Token"],
      ["--turns", "all"],
      ["--trusted-proxy", "10.0.0.1"],
      ["--stateDir", "/tmp/s"],
      ["--token"],
      ["--token", ""],
      ["--token", "--port"],
      ["serve"],
    ]) {
      expect(parsePlainArgs(line), line.join(" ")).toBeUndefined();
    }
  });
});
