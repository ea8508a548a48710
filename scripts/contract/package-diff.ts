/**
 * The freeze of the pinned release against the package the project pinned first
 * (@openclaw/gateway-protocol@<release>, fixtures/contract/protocol.schema.json): every definition and
 * method that differs, with the reason. Written as fixtures/contract/<release>/PACKAGE-DIFF.md.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CONTRACT_PACKAGE, loadContractSchema, loadRelease } from "../../protocol/index.js";

export interface PackageDiff {
  release: string;
  identical: number;
  differing: { name: string; path: string }[];
  /** In the package, and the release's bundle defines it under that name but does not export it. */
  packageOnlyPrivate: { name: string; inlinedIn?: string }[];
  /** In the package, not in the release's bundle under that name at all. */
  packageOnlyAbsent: string[];
  /** Undetermined (the release's dist was not available to look into). */
  packageOnlyUnknown: string[];
  releaseOnly: { name: string; inlinedIn?: string }[];
  methods: { same: number; packageOnly: string[]; releaseOnly: string[]; changed: { name: string; package: string; release: string }[] };
}

function firstDifference(a: unknown, b: unknown, path = ""): string | undefined {
  if (JSON.stringify(a) === JSON.stringify(b)) return undefined;
  if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) === !Array.isArray(b)) {
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    for (const k of new Set([...Object.keys(ao), ...Object.keys(bo)])) {
      const d = firstDifference(ao[k], bo[k], `${path}/${k}`);
      if (d !== undefined) return d;
    }
  }
  return path || "/";
}

/** JSON text of every nested schema object -> the first definition holding it (not at its root). */
function subtreeIndex(definitions: Record<string, object>): Map<string, string> {
  const index = new Map<string, string>();
  const walk = (v: unknown, owner: string, root: boolean): void => {
    if (!v || typeof v !== "object") return;
    if (!root && !Array.isArray(v)) {
      const key = JSON.stringify(v);
      if (!index.has(key)) index.set(key, owner);
    }
    for (const child of Object.values(v as Record<string, unknown>)) walk(child, owner, false);
  };
  for (const [name, def] of Object.entries(definitions)) walk(def, name, true);
  return index;
}

/** Does the release's dist define `const <Name>Schema` (bundled, maybe private)? */
function bundleDefinitions(packageDir: string | undefined): ((name: string) => boolean) | undefined {
  if (!packageDir || !existsSync(join(packageDir, "dist"))) return undefined;
  const dist = join(packageDir, "dist");
  const text = readdirSync(dist).filter((n) => /\.m?js$/.test(n)).map((n) => readFileSync(join(dist, n), "utf8")).join("\n");
  return (name) => new RegExp(`\\b(?:const|let|var) ${name}Schema\\b`).test(text);
}

export function computePackageDiff(release: string, packageDir?: string): PackageDiff {
  const pkg = loadContractSchema();
  const rel = loadRelease(release).schema;
  const defined = bundleDefinitions(packageDir);
  const pkgIndex = subtreeIndex(pkg.definitions);
  const relIndex = subtreeIndex(rel.definitions);
  const out: PackageDiff = { release, identical: 0, differing: [], packageOnlyPrivate: [], packageOnlyAbsent: [], packageOnlyUnknown: [], releaseOnly: [], methods: { same: 0, packageOnly: [], releaseOnly: [], changed: [] } };
  for (const name of Object.keys(pkg.definitions).sort()) {
    const mine = rel.definitions[name];
    if (mine === undefined) {
      const where = relIndex.get(JSON.stringify(pkg.definitions[name]));
      if (!defined) out.packageOnlyUnknown.push(name);
      else if (defined(name)) out.packageOnlyPrivate.push({ name, ...(where ? { inlinedIn: where } : {}) });
      else out.packageOnlyAbsent.push(name);
      continue;
    }
    const d = firstDifference(pkg.definitions[name], mine);
    if (d === undefined) out.identical++;
    else out.differing.push({ name, path: d });
  }
  for (const name of Object.keys(rel.definitions).sort()) {
    if (name in pkg.definitions) continue;
    const where = pkgIndex.get(JSON.stringify(rel.definitions[name]));
    out.releaseOnly.push({ name, ...(where ? { inlinedIn: where } : {}) });
  }
  for (const [name, m] of Object.entries(pkg.methods).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const r = rel.methods[name];
    if (!r) out.methods.packageOnly.push(name);
    else if (r.scope !== m.scope || r.since !== m.since) out.methods.changed.push({ name, package: `${m.scope} since ${m.since}`, release: `${r.scope} since ${String(r.since)}` });
    else out.methods.same++;
  }
  out.methods.releaseOnly = Object.keys(rel.methods).filter((n) => !(n in pkg.methods)).sort();
  return out;
}

const code = (s: string): string => `\`${s}\``;
const list = (xs: readonly string[]): string => (xs.length ? xs.map(code).join(", ") : "none");

export function renderPackageDiff(d: PackageDiff): string {
  const pkgName = `${CONTRACT_PACKAGE}@${d.release}`;
  const inl = (x: { name: string; inlinedIn?: string }): string => (x.inlinedIn ? `${code(x.name)} (inside ${code(x.inlinedIn)})` : code(x.name));
  const lines = [
    `# openclaw@${d.release} (frozen) vs ${pkgName}`,
    "",
    `Generated by \`hanzonode contract freeze --release ${d.release}\`; \`test/contract-releases.test.ts\` checks that the lists below are current.`,
    `The package publishes the \`ProtocolSchemas\` registry; the openclaw release does not, so its freeze collects definitions by`,
    "export name from `dist/gateway/protocol` (exports, validators' compiled schemas, and the chunks it imports).",
    "",
    "## Definitions",
    "",
    `- **identical**: ${d.identical} definitions are the same JSON in both.`,
    `- **differing** (${d.differing.length}): ${d.differing.length ? d.differing.map((x) => `${code(x.name)} at ${code(x.path)}`).join(", ") : "none"}. Both are built from the same source release, so any entry here would be a packaging bug worth reporting.`,
    "",
    `### In the package only: bundled but not exported (${d.packageOnlyPrivate.length})`,
    "",
    "The gateway bundle defines these schemas but keeps them module-private (they are composed into the exported definitions named in",
    "parentheses, where the same JSON was found), so nothing in the release names them. Their shapes are still enforced through the",
    "definitions that contain them.",
    "",
    list(d.packageOnlyPrivate.map((x) => x.name)) === "none" ? "none" : d.packageOnlyPrivate.map(inl).join(", "),
    "",
    `### In the package only: not in the bundle (${d.packageOnlyAbsent.length})`,
    "",
    "Result and event schemas the gateway never validates at runtime: the bundler drops them from openclaw's dist. The package keeps",
    "them for clients. Validation of these falls back to the pinned package contract (protocol/window.ts).",
    "",
    list(d.packageOnlyAbsent),
    "",
    ...(d.packageOnlyUnknown.length ? [`### In the package only: not checked against the bundle (${d.packageOnlyUnknown.length})`, "", list(d.packageOnlyUnknown), ""] : []),
    `### In the release only (${d.releaseOnly.length})`,
    "",
    "Sub-schemas the release exports by name that the package does not register in `ProtocolSchemas` (it inlines them into the",
    "definitions named in parentheses, where the same JSON was found there).",
    "",
    d.releaseOnly.length ? d.releaseOnly.map(inl).join(", ") : "none",
    "",
    "## Methods",
    "",
    `- **same scope and since**: ${d.methods.same}`,
    `- **scope or since changed** (${d.methods.changed.length}): ${d.methods.changed.length ? d.methods.changed.map((c) => `${code(c.name)}: ${c.package} -> ${c.release}`).join("; ") : "none"}`,
    `- **in the package only** (${d.methods.packageOnly.length}): ${list(d.methods.packageOnly)}`,
    `- **in the release only** (${d.methods.releaseOnly.length}): ${list(d.methods.releaseOnly)}`,
    "",
    "## Only in the freeze",
    "",
    "The package has no event list, capability list or advertised flag; the freeze takes them from the release (`surface.json`,",
    "`method-table.json`).",
    "",
  ];
  return lines.join("\n");
}

export async function writePackageDiff(release: string, packageDir?: string): Promise<string> {
  const path = join(loadRelease(release).dir, "PACKAGE-DIFF.md");
  await writeFile(path, renderPackageDiff(computePackageDiff(release, packageDir)));
  return path;
}
