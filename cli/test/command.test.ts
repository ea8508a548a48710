/**
 * Typed commands: `defineCommand` hands a handler the values yargs parsed (numbers as numbers, defaults
 * filled in, camelCase aliases), and the real `hanzonode` still validates through each builder.
 */
import { describe, expect, it } from "vitest";
import yargs from "yargs";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { defineCommand } from "../command.js";

describe("defineCommand", () => {
  it("passes the builder's parsed, typed options to the handler", async () => {
    const seen: unknown[] = [];
    const cmd = defineCommand({
      command: "serve",
      describe: "test command",
      builder: (y) =>
        y
          .option("listen", { type: "number", demandOption: true })
          .option("host", { type: "string", default: "127.0.0.1" })
          .option("host-key-policy", { type: "string", choices: ["strict", "openssh"] as const, default: "strict" as const }),
      handler: (argv) => {
        // Typed: these lines would not compile if yargs' inference were lost.
        const port: number = argv.listen;
        const policy: "strict" | "openssh" = argv.hostKeyPolicy;
        seen.push({ port, host: argv.host, policy });
      },
    });
    await cmd.register(yargs(["serve", "--listen", "0", "--host-key-policy", "openssh"]).strict().exitProcess(false)).parseAsync();
    expect(seen).toEqual([{ port: 0, host: "127.0.0.1", policy: "openssh" }]);
  });

  it("refuses a value outside the choices before the handler runs", async () => {
    let ran = false;
    const cmd = defineCommand({
      command: "serve",
      describe: "test command",
      builder: (y) => y.option("mode", { type: "string", choices: ["a", "b"] as const, demandOption: true }),
      handler: () => {
        ran = true;
      },
    });
    const cli = cmd.register(yargs(["serve", "--mode", "c"]).strict().exitProcess(false).fail((msg) => {
      throw new Error(msg);
    }));
    await expect(async () => cli.parseAsync()).rejects.toThrow(/Invalid values/);
    expect(ran).toBe(false);
  });
});

function hanzonode(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", join(import.meta.dirname, "..", "hanzonode.ts"), ...args], { cwd: join(import.meta.dirname, "..", "..") }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("hanzonode's commands through defineCommand", () => {
  it("nested parity commands keep their own options and checks", async () => {
    const help = await hanzonode(["parity", "rollback", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--to");
    expect(help.stdout).toContain('[default: "legacy"]');
    const scope = await hanzonode(["parity", "rollback", "health", "--phase", "1", "--store", "/nonexistent/x.sqlite"]);
    expect(scope.code).toBe(1);
    expect(scope.stderr).toContain("name one of METHOD, --phase N or --owner auth|nodes");
  }, 60_000);

  it("replay's own check still demands --target-kind when results are stored", async () => {
    const r = await hanzonode(["replay", "--target", "ws://127.0.0.1:1", "--token", "t", "--state-dir", "/nonexistent"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("--target-kind legacy|hanzod is required");
  }, 60_000);
});
