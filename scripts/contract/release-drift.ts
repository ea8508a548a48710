/**
 * `hanzonode contract drift --from A --to B`: what changed between two frozen releases, on both sides of
 * the wire. Client side: what requests may carry (params definitions, connect, the request frame).
 * Server side: methods, events, capabilities, results, hello-ok, events' payloads, error codes and error
 * shapes. Each item says whether hanzod already handles it: window validation for requests, the compat
 * answers (hanzod/compat.ts) and the methods and events hanzod serves for answers.
 */
import { compareReleases, definitionStem, loadRelease, type ReleaseContract } from "../../protocol/index.js";
import { HANZOD_EVENTS, HANZOD_METHODS } from "../../hanzod/registry.js";
import { ANSWER_CHANGES, HANDLED_CAPABILITIES } from "../../hanzod/core/compat.js";

export type Side = "client" | "server";
export type Change = "added" | "removed" | "changed";

export interface DriftItem {
  side: Side;
  /** methods, events, capabilities, error codes, params, connect, results, hello-ok, event payloads, error shapes, definitions */
  kind: string;
  /** A method, event, capability, code, or `Definition` / `Definition/json/pointer`. */
  subject: string;
  change: Change;
  detail?: string;
  /**
   * handled: hanzod does it (serves, accepts, answers so); legacy: hanzod is not involved (the proxy
   * routes it to the legacy); optional: an optional addition hanzod leaves out (still valid for the
   * release); gap: hanzod serves this and does not follow the change yet.
   */
  hanzod: HanzodStatus;
  /** How hanzod handles it, or why it need not. */
  how: string;
}

export type HanzodStatus = "handled" | "legacy" | "optional" | "gap";

export interface ReleaseDrift {
  from: string;
  to: string;
  items: DriftItem[];
}

type Schema = Record<string, unknown>;
const obj = (v: unknown): Schema | undefined => (v && typeof v === "object" && !Array.isArray(v) ? (v as Schema) : undefined);

/** Property-level differences of two schemas: added/removed/required/changed, descending into nested object properties. */
function schemaChanges(a: unknown, b: unknown, path = ""): { path: string; change: Change; detail?: string }[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  // Arrays and unions: the change is inside an element or a variant (same number of variants).
  const ia = obj(a)?.items;
  const ib = obj(b)?.items;
  if (ia !== undefined && ib !== undefined && JSON.stringify({ ...obj(a), items: 0 }) === JSON.stringify({ ...obj(b), items: 0 })) return schemaChanges(ia, ib, `${path}/*`);
  const ua = obj(a)?.anyOf;
  const ub = obj(b)?.anyOf;
  if (Array.isArray(ua) && Array.isArray(ub) && ua.length === ub.length && JSON.stringify({ ...obj(a), anyOf: 0 }) === JSON.stringify({ ...obj(b), anyOf: 0 })) {
    return ua.flatMap((v, i) => schemaChanges(v, ub[i], path).map((c) => ({ ...c, detail: [c.detail, `variant ${i + 1} of ${ua.length}`].filter(Boolean).join(", ") })));
  }
  const pa = obj(obj(a)?.properties);
  const pb = obj(obj(b)?.properties);
  if (!pa || !pb) return [{ path: path || "/", change: "changed" }];
  const out: { path: string; change: Change; detail?: string }[] = [];
  const ra = new Set((obj(a)?.required as string[] | undefined) ?? []);
  const rb = new Set((obj(b)?.required as string[] | undefined) ?? []);
  for (const k of Object.keys(pb)) if (!(k in pa)) out.push({ path: `${path}/${k}`, change: "added", detail: rb.has(k) ? "required" : "optional" });
  for (const k of Object.keys(pa)) if (!(k in pb)) out.push({ path: `${path}/${k}`, change: "removed" });
  for (const k of Object.keys(pa)) {
    if (!(k in pb)) continue;
    if (ra.has(k) !== rb.has(k)) out.push({ path: `${path}/${k}`, change: "changed", detail: rb.has(k) ? "now required" : "now optional" });
    out.push(...schemaChanges(pa[k], pb[k], `${path}/${k}`));
  }
  const ea = obj(a)?.additionalProperties;
  const eb = obj(b)?.additionalProperties;
  if (JSON.stringify(ea) !== JSON.stringify(eb)) out.push({ path: path || "/", change: "changed", detail: `additionalProperties ${JSON.stringify(ea)} -> ${JSON.stringify(eb)}` });
  return out;
}

function setDiff<T>(a: Iterable<T>, b: Iterable<T>): { added: T[]; removed: T[] } {
  const sa = new Set(a);
  const sb = new Set(b);
  return { added: [...sb].filter((x) => !sa.has(x)).sort(), removed: [...sa].filter((x) => !sb.has(x)).sort() };
}

const served = new Set(HANZOD_METHODS);
const emitted = new Set<string>(HANZOD_EVENTS);

function methodForDefinition(def: string, suffix: "Params" | "Result", releases: ReleaseContract[]): string | undefined {
  for (const r of releases) for (const m of Object.keys(r.methods)) if (`${definitionStem(m)}${suffix}` === def) return m;
  return undefined;
}

function eventForDefinition(def: string, events: readonly string[]): string | undefined {
  return events.find((e) => `${definitionStem(e)}Event` === def);
}

/** The compat change hanzod applies at `to` for this frame and path, if any. */
function compatFor(frame: string, path: string, from: string, to: string): string | undefined {
  const c = ANSWER_CHANGES.find((x) => x.frame === frame && x.path.split(", ").some((p) => path === p || path.startsWith(`${p}/`)) && compareReleases(x.since, from) > 0 && compareReleases(x.since, to) <= 0);
  return c ? `hanzod --compat ${to} answers so (hanzod/compat.ts: ${c.note})` : undefined;
}

export function releaseDrift(from: string, to: string): ReleaseDrift {
  const a = loadRelease(from);
  const b = loadRelease(to);
  const both = [a, b];
  const items: DriftItem[] = [];
  const windowNote = `hanzod validates requests against every release of its window (protocol/window.ts)`;

  // Methods: availability and scope.
  const m = setDiff(Object.keys(a.methods), Object.keys(b.methods));
  for (const name of m.added) {
    const row = b.methods[name];
    items.push({ side: "server", kind: "methods", subject: name, change: "added", detail: `${row?.scope}, ${row?.phase}${row?.advertised ? "" : ", not advertised"}`, hanzod: served.has(name) ? "handled" : "legacy", how: served.has(name) ? "hanzod serves it" : "the legacy serves it" });
  }
  for (const name of m.removed) items.push({ side: "server", kind: "methods", subject: name, change: "removed", hanzod: served.has(name) ? "handled" : "legacy", how: served.has(name) ? `hanzod still serves it; ${to} clients do not call it` : "hanzod never served it; the legacy answers" });
  for (const [name, row] of Object.entries(b.methods)) {
    const old = a.methods[name];
    if (!old) continue;
    if (old.scope !== row.scope) items.push({ side: "server", kind: "methods", subject: name, change: "changed", detail: `scope ${old.scope} -> ${row.scope}`, hanzod: served.has(name) ? "gap" : "legacy", how: served.has(name) ? "hanzod checks the pinned scope table; not per release yet" : "the legacy serves it" });
    if (old.advertised !== row.advertised) items.push({ side: "server", kind: "methods", subject: name, change: "changed", detail: row.advertised ? "now advertised" : "no longer advertised", hanzod: "handled", how: "discovery lists are each runtime's own (compared by type)" });
  }

  // Events, capabilities, error codes (the release's own lists).
  const ev = setDiff(a.surface.events, b.surface.events);
  for (const e of ev.added) items.push({ side: "server", kind: "events", subject: e, change: "added", hanzod: emitted.has(e) ? "handled" : "legacy", how: emitted.has(e) ? "hanzod emits it" : "the legacy emits it (the proxy relays legacy events)" });
  for (const e of ev.removed) items.push({ side: "server", kind: "events", subject: e, change: "removed", hanzod: emitted.has(e) ? "gap" : "legacy", how: emitted.has(e) ? `hanzod still emits it beside ${to}` : "hanzod never emitted it" });
  const caps = setDiff(a.surface.capabilities, b.surface.capabilities);
  for (const c of caps.added) items.push({ side: "server", kind: "capabilities", subject: c, change: "added", hanzod: c in HANDLED_CAPABILITIES ? "handled" : "legacy", how: HANDLED_CAPABILITIES[c] ?? "hanzod does not offer it; what it enables is served by the legacy" });
  for (const c of caps.removed) items.push({ side: "server", kind: "capabilities", subject: c, change: "removed", hanzod: c in HANDLED_CAPABILITIES ? "gap" : "legacy", how: "no longer offered" });
  for (const [kind, pick] of [["error codes", (r: ReleaseContract) => r.surface.errorCodes], ["error detail codes", (r: ReleaseContract) => r.surface.errorDetailCodes]] as const) {
    const d = setDiff(pick(a), pick(b));
    for (const c of d.added) items.push({ side: "server", kind, subject: c, change: "added", hanzod: "legacy", how: "sent by methods the legacy serves; hanzod's error catalog (protocol/errors.ts) has no use for it yet" });
    for (const c of d.removed) items.push({ side: "server", kind, subject: c, change: "removed", hanzod: "handled", how: "hanzod does not send it" });
  }

  // Definitions, property by property.
  const da = a.schema.definitions;
  const db = b.schema.definitions;
  const names = [...new Set([...Object.keys(da), ...Object.keys(db)])].sort();
  for (const def of names) {
    const isParams = def.endsWith("Params") || def === "RequestFrame";
    const side: Side = isParams ? "client" : "server";
    const kind = def === "ConnectParams" ? "connect" : isParams ? "params" : def === "HelloOk" ? "hello-ok" : def.endsWith("Result") ? "results" : def.endsWith("Event") ? "event payloads" : def === "ErrorShape" || def.endsWith("ErrorDetails") ? "error shapes" : "definitions";
    const changes: { path: string; change: Change; detail?: string }[] = !(def in da) ? [{ path: "", change: "added" }] : !(def in db) ? [{ path: "", change: "removed" }] : schemaChanges(da[def], db[def]);
    for (const c of changes) {
      const subject = c.path && c.path !== "/" ? `${def}${c.path}` : def;
      let hanzod: HanzodStatus;
      let how: string;
      const optionalAdd = c.change === "added" && (c.detail ?? "").startsWith("optional");
      if (side === "client") {
        const method = def === "ConnectParams" ? "connect" : methodForDefinition(def, "Params", both);
        if (method === "connect" || (method && served.has(method))) [hanzod, how] = ["handled", `${windowNote}: a ${method} valid for ${from} or ${to} is served`];
        else if (method) [hanzod, how] = ["legacy", `the legacy serves ${method}`];
        else [hanzod, how] = ["handled", `part of the requests that embed it; ${windowNote}`];
      } else if (def === "HelloOk" || def === "PresenceEntry" || def === "Snapshot") {
        // A presence row is the gateway's own (presence-row) or a connection's (presence-connect).
        const frames = def === "PresenceEntry" ? ["presence-row", "presence-connect"] : ["hello-ok"];
        const path = def === "Snapshot" ? `/snapshot${c.path}` : c.path;
        const compat = frames.map((f) => compatFor(f, path, from, to)).find((x) => x !== undefined);
        [hanzod, how] = compat ? ["handled", compat] : optionalAdd ? ["optional", "hanzod's hello-ok leaves it out"] : ["gap", "hanzod's hello-ok does not follow this yet"];
      } else if (def.endsWith("Result")) {
        const method = methodForDefinition(def, "Result", both);
        const compat = method ? compatFor(`res:${method}`, c.path, from, to) : undefined;
        if (compat) [hanzod, how] = ["handled", compat];
        // A method the newer release added: hanzod serves it only as that release (no older shape exists).
        else if (method && served.has(method) && a.methods[method] === undefined) [hanzod, how] = ["handled", `${method} is new in ${to}: hanzod serves it as ${to} answers it`];
        else if (method && served.has(method)) [hanzod, how] = optionalAdd ? ["optional", `hanzod's ${method} leaves it out`] : ["gap", `hanzod answers ${method} in the ${from} shape here`];
        else [hanzod, how] = ["legacy", method ? `the legacy answers ${method}` : "not the answer of a method hanzod serves"];
      } else if (def.endsWith("Event")) {
        const event = eventForDefinition(def, [...b.surface.events, ...a.surface.events]);
        [hanzod, how] = event && emitted.has(event) ? (optionalAdd ? ["optional", `hanzod's ${event} leaves it out`] : ["gap", `hanzod emits ${event} in the ${from} shape`]) : ["legacy", event ? `the legacy emits ${event}` : "not an event hanzod emits"];
      } else [hanzod, how] = ["legacy", "inside answers; follows the answer that embeds it"];
      items.push({ side, kind, subject, change: c.change, ...(c.detail ? { detail: c.detail } : {}), hanzod, how });
    }
  }
  // Answers that differ without a schema change (optional fields a release starts or stops sending), as
  // the recorded suites show them; hanzod's compat table names each one it follows.
  for (const c of ANSWER_CHANGES) {
    if (compareReleases(c.since, from) <= 0 || compareReleases(c.since, to) > 0) continue;
    items.push({ side: "server", kind: "answers", subject: `${c.frame} ${c.path}`, change: "changed", detail: c.note, hanzod: "handled", how: `hanzod --compat ${to} answers so (hanzod/compat.ts)` });
  }
  return { from, to, items };
}

const KIND_ORDER = ["connect", "params", "methods", "events", "capabilities", "hello-ok", "answers", "results", "event payloads", "error codes", "error detail codes", "error shapes", "definitions"];

export function renderReleaseDrift(d: ReleaseDrift): string {
  const lines = [
    `# Contract drift: openclaw ${d.from} -> ${d.to}`,
    "",
    `Generated by \`hanzonode contract drift --from ${d.from} --to ${d.to}\` from fixtures/contract/${d.from}/ and fixtures/contract/${d.to}/.`,
    `Client side: what requests may carry. Server side: what the gateway offers and answers. The hanzod column: handled (hanzod does it),`,
    "legacy (the proxy routes it to the legacy; hanzod is not involved), optional (an optional addition hanzod leaves out), gap (hanzod",
    "serves this and does not follow the change yet).",
    "",
  ];
  for (const side of ["client", "server"] as const) {
    lines.push(`## ${side === "client" ? "Client side (requests)" : "Server side (offers and answers)"}`, "");
    const mine = d.items.filter((i) => i.side === side);
    for (const kind of KIND_ORDER) {
      const rows = mine.filter((i) => i.kind === kind);
      if (rows.length === 0) continue;
      const count = (st: HanzodStatus): number => rows.filter((r) => r.hanzod === st).length;
      lines.push(`### ${kind} (${rows.length}: hanzod handles ${count("handled")}, legacy ${count("legacy")}, optional ${count("optional")}, gap ${count("gap")})`, "", "| change | item | detail | hanzod |", "|---|---|---|---|");
      for (const r of rows) lines.push(`| ${r.change} | \`${r.subject}\` | ${r.detail ?? ""} | ${r.hanzod === "gap" ? "**gap**" : r.hanzod}: ${r.how.replace(/\|/g, "\\|")} |`);
      lines.push("");
    }
  }
  return lines.join("\n");
}
