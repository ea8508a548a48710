/**
 * A throwaway PostgreSQL server for the fleet tests: Debian's `postgresql` package (installed by
 * .ci/run), initdb into a temporary data directory, started on a free loopback port, stopped by PID.
 * PostgreSQL refuses to run as root, so under root the server runs as the `postgres` system user.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

export interface TestPostgres {
  url: string;
  port: number;
  pid: number;
  /** Stops the server (fast shutdown) and waits for it to exit; the data directory stays. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  start(): Promise<void>;
  /** stop() and remove the data directory. */
  dispose(): Promise<void>;
}

function binDir(): string {
  const root = "/usr/lib/postgresql";
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "postgres"))).sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(root, versions[0], "bin");
  }
  throw new Error("PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install -y postgresql)");
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function runAs(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
  return { uid, gid };
}

export async function startTestPostgres(): Promise<TestPostgres> {
  const bin = binDir();
  const user = runAs();
  const dir = mkdtempSync(join(tmpdir(), "parity-pg-"));
  const data = join(dir, "data");
  const sockets = join(dir, "sock");
  if (user.uid !== undefined) chownSync(dir, user.uid, user.gid!);
  const pwfile = join(dir, "pw");
  writeFileSync(pwfile, "hanzonode-test\n");
  if (user.uid !== undefined) chownSync(pwfile, user.uid, user.gid!);
  execFileSync(join(bin, "initdb"), ["-D", data, "-U", "hanzonode", "--pwfile", pwfile, "-A", "scram-sha-256", "--no-sync", "-E", "UTF8"], { ...user, stdio: "ignore", cwd: dir });
  execFileSync("mkdir", ["-p", sockets], { ...user });
  const port = await freePort();
  const url = `postgres://hanzonode:hanzonode-test@127.0.0.1:${port}/postgres`;
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    child = spawn(join(bin, "postgres"), ["-D", data, "-p", String(port), "-h", "127.0.0.1", "-k", sockets, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=60"], {
      ...user,
      cwd: dir,
      stdio: "ignore",
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
      try {
        await c.connect();
        await c.query("SELECT 1");
        await c.end();
        return;
      } catch {
        await c.end().catch(() => undefined);
        if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode} while starting`);
        if (Date.now() > deadline) throw new Error("postgres did not accept connections within 60 s");
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };

  const stop = async (): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise((r) => c.once("exit", r));
    process.kill(c.pid!, "SIGINT"); // fast shutdown: disconnects clients, then exits
    await gone;
  };

  await start();
  return {
    url,
    port,
    get pid() {
      return child?.pid ?? -1;
    },
    stop,
    start,
    dispose: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
