/**
 * Contracts per legacy release (fixtures/contract/<release>/, written by `hanzonode contract freeze`) and
 * the supported window: hanzod speaks the newest frozen release and accepts the clients of every frozen
 * release from SUPPORTED_WINDOW.from to SUPPORTED_WINDOW.to.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CONTRACT_DIR } from "./contract.js";
import type { MethodScope, MigrationPhase } from "./method-types.js";

/** The releases whose clients hanzod serves. The newest frozen one inside it is what hanzod speaks. */
export const SUPPORTED_WINDOW = { from: "2026.9.1", to: "2026.9.6" } as const;

/** Calendar releases: 2026.9.6, 2026.10.1-beta.2. */
const RELEASE_RE = /^(\d{4})\.(\d{1,2})\.(\d{1,3})(?:-beta\.(\d+))?$/;

export function isReleaseName(s: string): boolean {
  return RELEASE_RE.test(s);
}

/** Orders calendar releases; a beta sorts before its release. Throws on a name that is not one. */
export function compareReleases(a: string, b: string): number {
  const pa = RELEASE_RE.exec(a);
  const pb = RELEASE_RE.exec(b);
  if (!pa || !pb) throw new Error(`not a release: ${pa ? b : a}`);
  for (let i = 1; i <= 3; i++) {
    const d = Number(pa[i]) - Number(pb[i]);
    if (d !== 0) return d;
  }
  const ba = pa[4] === undefined ? Infinity : Number(pa[4]);
  const bb = pb[4] === undefined ? Infinity : Number(pb[4]);
  return ba === bb ? 0 : ba < bb ? -1 : 1;
}

export interface ReleaseMethodRow {
  scope: MethodScope;
  /** The release's own `since` ("<=2026.7", "2026.8", ...); null when it names none. */
  since: string | null;
  phase: MigrationPhase;
  /** Where the phase came from: the phase map, a method family (`family:models`), or the default. */
  phaseFrom: string;
  /** Listed in hello-ok.features.methods by the release (hidden compatibility methods are not). */
  advertised: boolean;
}

export interface ReleaseSurface {
  release: string;
  protocol: { version: number; minClient: number; minNode: number; minProbe: number };
  capabilities: string[];
  events: string[];
  errorCodes: string[];
  errorDetailCodes: string[];
  /** How the definitions were found in the release's dist (counts per source, chunk file names). */
  sources: Record<string, string | number>;
}

export interface ReleaseSchema {
  $id: string;
  release: string;
  definitions: Record<string, object>;
  methods: Record<string, { scope: string; since: string | null }>;
  [key: string]: unknown;
}

export interface ReleaseContract {
  release: string;
  dir: string;
  schema: ReleaseSchema;
  methods: Record<string, ReleaseMethodRow>;
  surface: ReleaseSurface;
}

export const RELEASE_FILES = { schema: "protocol.schema.json", methods: "method-table.json", surface: "surface.json", sums: "SHA256SUMS" } as const;

export function releaseDir(release: string): string {
  return join(CONTRACT_DIR, release);
}

/** Every frozen release, oldest first. */
export function frozenReleases(): string[] {
  if (!existsSync(CONTRACT_DIR)) return [];
  return readdirSync(CONTRACT_DIR)
    .filter((n) => isReleaseName(n) && existsSync(join(CONTRACT_DIR, n, RELEASE_FILES.schema)))
    .sort(compareReleases);
}

export function inWindow(release: string): boolean {
  return isReleaseName(release) && compareReleases(release, SUPPORTED_WINDOW.from) >= 0 && compareReleases(release, SUPPORTED_WINDOW.to) <= 0;
}

/** The frozen releases inside the supported window, oldest first. */
export function windowReleases(): string[] {
  return frozenReleases().filter(inWindow);
}

/** The release hanzod speaks by default: the newest frozen release in the window. */
export function newestRelease(): string {
  const all = windowReleases();
  const last = all[all.length - 1];
  if (!last) throw new Error(`no frozen release between ${SUPPORTED_WINDOW.from} and ${SUPPORTED_WINDOW.to} under ${CONTRACT_DIR}`);
  return last;
}

/**
 * The frozen release a legacy of version `v` behaves as: `v` itself when frozen, otherwise the newest
 * frozen release before it (patch releases between freezes keep the older one's answers). Undefined
 * outside the window.
 */
export function compatReleaseFor(v: string): string | undefined {
  if (!inWindow(v)) return undefined;
  return windowReleases().filter((r) => compareReleases(r, v) <= 0).pop();
}

const cache = new Map<string, ReleaseContract>();

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

export function loadRelease(release: string): ReleaseContract {
  let c = cache.get(release);
  if (!c) {
    const dir = releaseDir(release);
    if (!existsSync(join(dir, RELEASE_FILES.schema))) throw new Error(`release ${release} is not frozen (no ${join(dir, RELEASE_FILES.schema)}); run \`hanzonode contract freeze --release ${release}\``);
    // Each file is read when first asked for: validating a request needs the schema only.
    let schema: ReleaseSchema | undefined;
    let methods: Record<string, ReleaseMethodRow> | undefined;
    let surface: ReleaseSurface | undefined;
    c = {
      release,
      dir,
      get schema() {
        return (schema ??= readJson<ReleaseSchema>(join(dir, RELEASE_FILES.schema)));
      },
      get methods() {
        return (methods ??= readJson<{ methods: Record<string, ReleaseMethodRow> }>(join(dir, RELEASE_FILES.methods)).methods);
      },
      get surface() {
        return (surface ??= readJson<ReleaseSurface>(join(dir, RELEASE_FILES.surface)));
      },
    };
    cache.set(release, c);
  }
  return c;
}

/**
 * `method`'s row in `release`'s own method table (scope, since, advertised), or undefined when that
 * release has no such method. For methods newer than the pinned contract (protocol/methods.ts) that
 * hanzod serves as the release it stands beside.
 */
export function releaseMethodRow(release: string, method: string): ReleaseMethodRow | undefined {
  const rows = loadRelease(release).methods;
  return Object.prototype.hasOwnProperty.call(rows, method) ? rows[method] : undefined;
}

/** The events `release` lists in hello-ok (its GATEWAY_EVENTS). */
export function releaseEventNames(release: string): readonly string[] {
  return loadRelease(release).surface.events;
}
