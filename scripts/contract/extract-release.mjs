// Reads the protocol surface out of an installed openclaw release. Run with the release's own Node (24):
//   node extract-release.mjs <node_modules/openclaw> > surface.json
// Plain JS on purpose: it runs under the legacy's runtime, outside this project's build.
//
// Sources, all from the release's own dist/ (openclaw does not ship the ProtocolSchemas registry that
// @openclaw/gateway-protocol publishes, so the definitions are collected by name):
//   1. dist/gateway/protocol/index.js: every `<Name>Schema` export is definition <Name>;
//   2. the same module's `validate<Name>` functions (ajv keeps the compiled schema on `.schema`) for
//      definitions index.js validates but does not export;
//   3. the chunks index.js imports from: `<Name>Schema` in their export clauses (rolldown keeps the
//      original name beside the short alias).
// The method table comes from the chunk that defines CORE_GATEWAY_METHOD_SPEC_LIST (the gateway's own
// descriptors: scope, since, advertise), events from GATEWAY_EVENTS, capabilities from GATEWAY_SERVER_CAPS.
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

const pkgDir = process.argv[2];
if (!pkgDir) throw new Error("usage: extract-release.mjs <openclaw package dir>");
const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
const dist = join(pkgDir, "dist");
const indexPath = join(dist, "gateway", "protocol", "index.js");

/** `export { a as b, c }` at the end of a chunk: original name -> exported alias. */
function exportAliases(source) {
  const m = /export\s*\{([^}]*)\}\s*;?\s*$/.exec(source.trimEnd());
  const out = new Map();
  if (!m) return out;
  for (const part of m[1].split(",")) {
    const mm = /^\s*([\w$]+)(?:\s+as\s+([\w$]+))?\s*$/.exec(part);
    if (mm) out.set(mm[1], mm[2] ?? mm[1]);
  }
  return out;
}

const isSchema = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
/** JSON round trip: drops TypeBox's symbol keys, exactly what a JSON schema file holds. */
const plain = (v) => JSON.parse(JSON.stringify(v));

const protocol = await import(pathToFileURL(indexPath).href);
const definitions = new Map();
const sources = { index: 0, validator: 0, chunk: 0 };
const add = (name, schema, source) => {
  if (definitions.has(name) || !isSchema(schema)) return;
  definitions.set(name, plain(schema));
  sources[source]++;
};
for (const [k, v] of Object.entries(protocol)) if (k.endsWith("Schema") && k.length > 6) add(k.slice(0, -6), v, "index");
for (const [k, v] of Object.entries(protocol)) if (/^validate[A-Z]/.test(k) && typeof v === "function") add(k.slice(8), v.schema, "validator");
const indexSource = readFileSync(indexPath, "utf8");
for (const [, rel] of indexSource.matchAll(/from\s+"(\.[^"]+)"/g)) {
  const file = join(dirname(indexPath), rel);
  const aliases = exportAliases(readFileSync(file, "utf8"));
  const mod = await import(pathToFileURL(file).href);
  for (const [name, alias] of aliases) if (name.endsWith("Schema") && name.length > 6) add(name.slice(0, -6), mod[alias], "chunk");
}

/** The top-level dist chunk whose source contains `marker`, with its export aliases. */
async function chunkWith(marker) {
  for (const f of readdirSync(dist).filter((n) => /\.m?js$/.test(n)).sort()) {
    const source = readFileSync(join(dist, f), "utf8");
    if (source.includes(marker)) return { file: f, aliases: exportAliases(source), mod: await import(pathToFileURL(join(dist, f)).href) };
  }
  throw new Error(`no chunk of ${dist} contains ${marker}`);
}

const scopes = await chunkWith("const CORE_GATEWAY_METHOD_SPEC_LIST");
const fn = (chunk, name) => {
  const f = chunk.mod[chunk.aliases.get(name) ?? "\0"];
  if (typeof f !== "function") throw new Error(`${chunk.file} does not export ${name}`);
  return f;
};
const names = fn(scopes, "listCoreGatewayMethodNames")();
const advertised = new Set(fn(scopes, "listCoreAdvertisedGatewayMethodNames")());
// The descriptor factory wants a handler per method; it returns scope and since exactly as the gateway registers them.
const descriptors = fn(scopes, "createCoreGatewayMethodDescriptors")(Object.fromEntries(names.map((n) => [n, () => undefined])));
const methods = Object.fromEntries(descriptors.map((d) => [d.name, { scope: d.scope, since: d.since ?? null, advertised: advertised.has(d.name) }]));

const eventsChunk = await chunkWith("const GATEWAY_EVENTS = [");
const events = eventsChunk.mod[eventsChunk.aliases.get("GATEWAY_EVENTS") ?? "\0"];
if (!Array.isArray(events)) throw new Error(`${eventsChunk.file} does not export GATEWAY_EVENTS`);

const sortedObject = (entries) => Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
process.stdout.write(
  JSON.stringify({
    release: pkg.version,
    sources: { ...sources, methods: scopes.file, events: eventsChunk.file },
    protocol: {
      version: protocol.PROTOCOL_VERSION,
      minClient: protocol.MIN_CLIENT_PROTOCOL_VERSION,
      minNode: protocol.MIN_NODE_PROTOCOL_VERSION,
      minProbe: protocol.MIN_PROBE_PROTOCOL_VERSION,
    },
    capabilities: Object.values(protocol.GATEWAY_SERVER_CAPS ?? {}).sort(),
    events: [...events],
    errorCodes: Object.values(protocol.ErrorCodes ?? {}).sort(),
    errorDetailCodes: Object.values(protocol.GatewayErrorDetailCodes ?? {}).sort(),
    methods,
    definitions: sortedObject(definitions),
  }),
);
