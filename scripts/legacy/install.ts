/**
 * Installs the pinned legacy gateway on first use: Node 24 from the npm package `node`, then
 * `openclaw@<version>` and the real clients with that Node first on PATH. Later calls are a stat.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { CLIENT_PACKAGES, DEFAULT_LEGACY_VERSION, PINNED_NODE24, legacyCompileCacheDir, legacyDir, node24Dir } from "./paths.js";
import { withDirLock } from "./lock.js";

export interface LegacyInstall {
  version: string;
  /** Folder holding node_modules/openclaw and the client packages. */
  dir: string;
  /** The Node 24 binary and the folder to put first on PATH. */
  nodeBin: string;
  nodeBinDir: string;
  /** `node <openclawEntry> ...` runs the openclaw CLI. */
  openclawEntry: string;
  openclawPackageDir: string;
  gatewayClientDir: string;
  openclawNodeDir: string;
}

export type ProgressLog = (line: string) => void;
const stderrLog: ProgressLog = (line) => process.stderr.write(`[legacy] ${line}\n`);

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, log: ProgressLog): Promise<void> {
  return new Promise((resolve, reject) => {
    log(`$ ${cmd} ${args.join(" ")}`);
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let tail = "";
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      tail = (tail + text).slice(-4000);
      for (const line of text.split("\n")) if (line.trim()) log(`  ${line.trimEnd()}`);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(" ")} exited ${code}\n${tail}`))));
  });
}

/**
 * The install scripts of openclaw@2026.9.1's dependency tree (`npm install-scripts ls`), allowed as a plain
 * `npm install openclaw` runs them today, so the legacy gateway is installed the way its users install it.
 */
const LEGACY_INSTALL_SCRIPTS: Record<string, boolean> = {
  openclaw: true,
  koffi: true,
  protobufjs: true,
  "tree-sitter-bash": true,
  "@google/genai": true,
};

function npmInstallArgs(packages: readonly string[]): string[] {
  return ["install", "--no-audit", "--no-fund", "--no-save", "--loglevel=error", ...packages];
}

async function ensureNode24(log: ProgressLog): Promise<{ nodeBin: string; nodeBinDir: string }> {
  const dir = node24Dir();
  const nodeBinDir = join(dir, "node_modules", "node", "bin");
  const nodeBin = join(nodeBinDir, "node");
  const marker = join(dir, ".installed");
  if (existsSync(marker)) return { nodeBin, nodeBinDir };
  await withDirLock(dir, () => log(`waiting for another process installing Node ${PINNED_NODE24}...`), async () => {
    if (existsSync(marker)) return;
    log(`installing Node ${PINNED_NODE24} (npm package node@${PINNED_NODE24}) into ${dir}`);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    // npm 11.16+ reviews install scripts through allowScripts and npm 12 skips unlisted ones: node's
    // preinstall is what fetches the platform binary.
    await writeFile(join(dir, "package.json"), JSON.stringify({ name: "hanzonode-node24", private: true, allowScripts: { node: true } }));
    await run("npm", npmInstallArgs([`node@${PINNED_NODE24}`]), dir, process.env, log);
    await writeFile(marker, new Date().toISOString());
  });
  return { nodeBin, nodeBinDir };
}

export async function ensureLegacyInstalled(version: string = DEFAULT_LEGACY_VERSION, log: ProgressLog = stderrLog): Promise<LegacyInstall> {
  const { nodeBin, nodeBinDir } = await ensureNode24(log);
  const dir = legacyDir(version);
  const marker = join(dir, ".installed");
  const install: LegacyInstall = {
    version,
    dir,
    nodeBin,
    nodeBinDir,
    openclawEntry: join(dir, "node_modules", "openclaw", "openclaw.mjs"),
    openclawPackageDir: join(dir, "node_modules", "openclaw"),
    gatewayClientDir: join(dir, "node_modules", "@openclaw", "gateway-client"),
    openclawNodeDir: join(dir, "node_modules", "openclaw-node"),
  };
  if (existsSync(marker)) return install;
  await withDirLock(dir, () => log(`waiting for another process installing openclaw@${version}...`), async () => {
    if (existsSync(marker)) return;
    log(`installing openclaw@${version} with Node ${PINNED_NODE24} into ${dir} (first use; about a minute)`);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "package.json"), JSON.stringify({ name: "hanzonode-legacy", private: true, allowScripts: LEGACY_INSTALL_SCRIPTS }));
    const env = { ...process.env, PATH: `${nodeBinDir}${delimiter}${process.env.PATH ?? ""}` };
    await run("npm", npmInstallArgs([`openclaw@${version}`, ...CLIENT_PACKAGES]), dir, env, log);
    const pkg = JSON.parse(await readFile(join(install.openclawPackageDir, "package.json"), "utf8")) as { version: string };
    if (pkg.version !== version) throw new Error(`installed openclaw ${pkg.version}, wanted ${version}`);
    await writeFile(marker, new Date().toISOString());
    log(`openclaw@${version} ready`);
  });
  return install;
}

/** Environment for anything run with the legacy's Node: Node 24 first on PATH, a compile cache that outlives each run's TMPDIR. */
export function legacyEnv(install: LegacyInstall, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  // openclaw switches to test behaviour (the CLI prints nothing) when it sees vitest's variables;
  // the legacy must behave as in production even when a test starts it.
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("VITEST") && k !== "NODE_ENV") env[k] = v;
  return { ...env, NODE_COMPILE_CACHE: legacyCompileCacheDir(), ...extra, PATH: `${install.nodeBinDir}${delimiter}${process.env.PATH ?? ""}` };
}
