/**
 * `hanzonode attach --ssh user@host` keeps an SSH tunnel to a remote hanzod's loopback port and prints
 * the local URL; `--url ws://host:port` checks a direct (LAN / tailnet) gateway instead. With
 * `--write-config [path]` the client config (openclaw.json) is pointed at it: gateway.mode remote.
 */
import { createServer } from "node:net";
import { defineCommand, type CliCommand } from "../command.js";
import { SshTunnel, splitTarget } from "../attach/ssh-tunnel.js";
import { defaultClientConfigPath, writeRemoteClientConfig, type RemoteClientConfig } from "../attach/client-config.js";
import { connectRaw } from "../../protocol/index.js";

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

interface ConfigArgs {
  /** "" when given without a value: the default client config. */
  "write-config"?: string | undefined;
  token?: string | undefined;
  password?: string | undefined;
}

function configTarget(argv: ConfigArgs): string | undefined {
  const w = argv["write-config"];
  if (w === undefined) return undefined;
  return w.length > 0 ? w : defaultClientConfigPath();
}

function writeConfig(argv: ConfigArgs, remote: RemoteClientConfig): void {
  const path = configTarget(argv);
  if (!path) return;
  const token = argv.token;
  const password = argv.password;
  const written = writeRemoteClientConfig(path, { ...remote, ...(token ? { token } : {}), ...(password ? { password } : {}) });
  process.stdout.write(`client config: ${written.path} (gateway.mode remote, gateway.remote.url ${remote.url}, transport ${remote.transport})${written.backup ? `; previous kept as ${written.backup}` : ""}\n`);
}

const attach = defineCommand({
  command: "attach",
  describe: "Attach clients to a remote hanzod: keep an SSH tunnel (--ssh) or check a direct URL (--url); optionally write the client config",
  builder: (y) =>
    y
      .option("ssh", { type: "string", describe: "user@host[:port] of the gateway host (tunnel to its loopback gateway port)" })
      .option("url", { type: "string", describe: "ws:// or wss:// URL of a directly reachable gateway (LAN, tailnet)" })
      .option("remote-port", { type: "number", default: 18789, describe: "the gateway's port on the remote host" })
      .option("local-port", { type: "number", describe: "local end of the tunnel (default: the remote port)" })
      .option("identity", { type: "string", describe: "ssh private key file" })
      .option("known-hosts", { type: "string", describe: "known_hosts file to check the host key against" })
      .option("host-key-policy", { type: "string", choices: ["strict", "openssh"] as const, default: "strict" as const, describe: "strict: refuse unknown or changed host keys; openssh: your ssh config decides" })
      .option("ssh-config", { type: "string", describe: "ssh client config file (-F)" })
      .option("write-config", { type: "string", describe: "point this openclaw.json at the gateway (no value: OPENCLAW_CONFIG_PATH or ~/.openclaw/openclaw.json)" })
      .option("token", { type: "string", describe: "gateway token to write as gateway.remote.token (and to check --url)" })
      .option("password", { type: "string", describe: "gateway password to write as gateway.remote.password" })
      .conflicts("ssh", "url")
      .check((a) => {
        if (!a.ssh && !a.url) throw new Error("give --ssh user@host or --url ws://host:port");
        return true;
      })
      .example("$0 attach --ssh me@gateway-host --write-config", "tunnel 127.0.0.1:18789 to gateway-host's hanzod and point the CLI at it"),
  handler: async (argv) => {
    if (typeof argv.url === "string") {
      const url = argv.url;
      try {
        const { socket, hello } = await connectRaw(url, { ...(argv.token ? { token: argv.token } : {}), ...(argv.password ? { password: argv.password } : {}) });
        await socket.close();
        const version = (hello.payload as { server?: { version?: string } }).server?.version ?? "unknown";
        process.stdout.write(`reachable: ${url} (gateway ${version})\n`);
      } catch (err) {
        process.stderr.write(`hanzonode attach: ${url} is not usable: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exitCode = 1;
        return;
      }
      writeConfig(argv, { url, transport: "direct" });
      return;
    }
    const target = argv.ssh;
    // .check() above demands --ssh when --url is absent; this keeps the type honest without a cast.
    if (target === undefined) throw new Error("give --ssh user@host or --url ws://host:port");
    splitTarget(target);
    const remotePort = argv["remote-port"];
    const localPort = argv["local-port"] ?? remotePort;
    if (!(await portFree(localPort))) {
      process.stderr.write(`hanzonode attach: local port ${localPort} is in use; pass --local-port\n`);
      process.exitCode = 1;
      return;
    }
    const tunnel = new SshTunnel({
      target,
      localPort,
      remotePort,
      hostKeyPolicy: argv["host-key-policy"],
      ...(argv.identity ? { identity: argv.identity } : {}),
      ...(argv["known-hosts"] ? { knownHosts: argv["known-hosts"] } : {}),
      ...(argv["ssh-config"] ? { sshConfig: argv["ssh-config"] } : {}),
    });
    let configWritten = false;
    const done = new Promise<number>((resolve) => {
      tunnel.on("up", ({ pid }) => {
        process.stdout.write(`tunnel up (ssh pid ${pid}): ${tunnel.localUrl} -> ${target} 127.0.0.1:${remotePort}\n`);
        if (!configWritten) {
          configWritten = true;
          writeConfig(argv, { url: tunnel.localUrl, transport: "ssh", sshTarget: target, ...(remotePort !== localPort ? { remotePort } : {}) });
        }
      });
      tunnel.on("down", ({ failure, retryInMs }) => {
        process.stderr.write(`tunnel down: ${failure.message}${retryInMs !== undefined ? `; reconnecting in ${(retryInMs / 1000).toFixed(1)} s` : ""}\n`);
      });
      tunnel.on("fatal", (failure) => {
        process.stderr.write(`hanzonode attach: ${failure.message}\n`);
        resolve(1);
      });
      const stop = (): void => void tunnel.stop().then(() => resolve(0));
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    process.stdout.write(`attaching to ${target} (strict host keys: ${argv["host-key-policy"] === "strict" ? "yes" : "no"}) on ${tunnel.localUrl}\n`);
    tunnel.start();
    process.exitCode = await done;
    await tunnel.stop();
  },
});

export const attachCommands: CliCommand[] = [attach];
