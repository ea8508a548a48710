/**
 * `hanzonode contract freeze --release V`: installs openclaw@V (Node 24, scripts/legacy), reads the
 * protocol surface out of the release's own dist (extract-release.mjs, run by that Node), and writes
 * fixtures/contract/V/: protocol.schema.json, method-table.json (scope, since, phase), surface.json
 * (events, capabilities, error codes, protocol versions) and SHA256SUMS; then regenerates the TypeScript
 * view of every frozen release (render.ts). Freezing the pinned package's release also writes
 * PACKAGE-DIFF.md: what differs from @openclaw/gateway-protocol@<that release>, and why.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CONTRACT_DIR, CONTRACT_VERSION, REPO_ROOT, RELEASE_FILES, isReleaseName, releaseDir, type MigrationPhase, type ReleaseMethodRow, type ReleaseSurface } from "../../protocol/index.js";
import { ensureLegacyInstalled, legacyEnv, type ProgressLog } from "../legacy/index.js";
import { writePackageDiff } from "./package-diff.js";
import { writeGeneratedTypes } from "./render.js";
import { stringifySchema } from "./schema-json.js";

interface Extracted extends Omit<ReleaseSurface, "sources"> {
  sources: Record<string, string | number>;
  methods: Record<string, { scope: string; since: string | null; advertised: boolean }>;
  definitions: Record<string, object>;
}

const EXTRACTOR = join(REPO_ROOT, "scripts", "contract", "extract-release.mjs");
const PHASE_MAP = join(CONTRACT_DIR, "phase-map.json");

function runExtractor(nodeBin: string, env: NodeJS.ProcessEnv, packageDir: string): Promise<Extracted> {
  return new Promise((resolve, reject) => {
    const child = spawn(nodeBin, [EXTRACTOR, packageDir], { cwd: packageDir, env, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    let err = "";
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`extract-release.mjs exited ${String(code)}\n${err}`));
      try {
        resolve(JSON.parse(Buffer.concat(out).toString("utf8")) as Extracted);
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  });
}

/**
 * A method's migration phase: the phase map's when it names the method (it covers the 410 methods of
 * the pinned contract), else the phase most methods of its longest known family prefix have
 * (`models.authLogin` -> what `models.*` are), else `later`.
 */
export function assignPhases(names: readonly string[], phaseMap: Record<string, string>): Record<string, { phase: MigrationPhase; phaseFrom: string }> {
  const out: Record<string, { phase: MigrationPhase; phaseFrom: string }> = {};
  const known = Object.entries(phaseMap);
  for (const name of names) {
    const mapped = phaseMap[name];
    if (mapped) {
      out[name] = { phase: mapped as MigrationPhase, phaseFrom: "phase-map" };
      continue;
    }
    const parts = name.split(".");
    let assigned: { phase: MigrationPhase; phaseFrom: string } | undefined;
    for (let n = parts.length - 1; n >= 1 && !assigned; n--) {
      const prefix = parts.slice(0, n).join(".");
      const family = known.filter(([m]) => m.startsWith(`${prefix}.`) || m === prefix);
      if (family.length === 0) continue;
      const votes = new Map<string, number>();
      for (const [, p] of family) votes.set(p, (votes.get(p) ?? 0) + 1);
      const [phase] = [...votes.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0] as [string, number];
      assigned = { phase: phase as MigrationPhase, phaseFrom: `family:${prefix}` };
    }
    out[name] = assigned ?? { phase: "later", phaseFrom: "default" };
  }
  return out;
}

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

export interface FreezeResult {
  release: string;
  dir: string;
  definitions: number;
  methods: number;
  events: number;
  capabilities: number;
  packageDiff?: string;
}

export async function freezeRelease(release: string, log: ProgressLog = (l) => process.stderr.write(`[freeze] ${l}\n`)): Promise<FreezeResult> {
  if (!isReleaseName(release)) throw new Error(`--release: not an openclaw release name: ${release}`);
  const install = await ensureLegacyInstalled(release, log);
  log(`reading the protocol surface of ${install.openclawPackageDir}`);
  const x = await runExtractor(install.nodeBin, legacyEnv(install), install.openclawPackageDir);
  if (x.release !== release) throw new Error(`the installed package says ${x.release}, wanted ${release}`);

  const phaseMap = (JSON.parse(await readFile(PHASE_MAP, "utf8")) as { methods: Record<string, string> }).methods;
  const names = Object.keys(x.methods).sort();
  const phases = assignPhases(names, phaseMap);
  const methodRows: Record<string, ReleaseMethodRow> = {};
  for (const n of names) {
    const m = x.methods[n] as Extracted["methods"][string];
    const p = phases[n] as { phase: MigrationPhase; phaseFrom: string };
    methodRows[n] = { scope: m.scope as ReleaseMethodRow["scope"], since: m.since, phase: p.phase, phaseFrom: p.phaseFrom, advertised: m.advertised };
  }
  const frames = ["RequestFrame", "ResponseFrame", "EventFrame"].every((d) => d in x.definitions);
  const schema = {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: `https://openclaw.ai/releases/${release}/protocol.schema.json`,
    title: `OpenClaw Gateway Protocol, as shipped by openclaw@${release}`,
    description: `Frozen by \`hanzonode contract freeze --release ${release}\` from dist/gateway/protocol of openclaw@${release} (definitions by export name; methods from the gateway's core method descriptors).`,
    release,
    ...(frames
      ? {
          oneOf: [{ $ref: "#/definitions/RequestFrame" }, { $ref: "#/definitions/ResponseFrame" }, { $ref: "#/definitions/EventFrame" }],
          discriminator: { propertyName: "type", mapping: { req: "#/definitions/RequestFrame", res: "#/definitions/ResponseFrame", event: "#/definitions/EventFrame" } },
        }
      : {}),
    methods: Object.fromEntries(names.map((n) => [n, { scope: x.methods[n]?.scope, since: x.methods[n]?.since ?? null }])),
    definitions: x.definitions,
  };
  const surface: ReleaseSurface = {
    release,
    protocol: x.protocol,
    capabilities: x.capabilities,
    events: x.events,
    errorCodes: x.errorCodes,
    errorDetailCodes: x.errorDetailCodes,
    sources: x.sources,
  };
  const files: Record<string, string> = {
    [RELEASE_FILES.schema]: stringifySchema(schema),
    [RELEASE_FILES.methods]: JSON.stringify({ release, phases: "phase-map.json where it names the method; otherwise the majority phase of the longest known family prefix; otherwise later", methods: methodRows }, null, 2) + "\n",
    [RELEASE_FILES.surface]: JSON.stringify(surface, null, 2) + "\n",
  };
  files[RELEASE_FILES.sums] = Object.entries(files).map(([name, text]) => `${sha256(text)}  ${name}`).join("\n") + "\n";

  const dir = releaseDir(release);
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  log(`wrote ${dir}: ${Object.keys(x.definitions).length} definitions, ${names.length} methods, ${x.events.length} events, ${x.capabilities.length} capabilities`);

  let packageDiff: string | undefined;
  if (release === CONTRACT_VERSION) {
    packageDiff = await writePackageDiff(release, install.openclawPackageDir);
    log(`wrote ${packageDiff}`);
  }
  await writeGeneratedTypes(log);
  return { release, dir, definitions: Object.keys(x.definitions).length, methods: names.length, events: x.events.length, capabilities: x.capabilities.length, ...(packageDiff ? { packageDiff } : {}) };
}
