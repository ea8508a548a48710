/**
 * The frozen contract: which schema file, which release, which hash. Everything that needs the raw
 * schema goes through `loadContractSchema()` so it is parsed once per process.
 */
import { accessSync, constants, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

export const CONTRACT_PACKAGE = "@openclaw/gateway-protocol";
export const CONTRACT_VERSION = "2026.9.1";
export const PROTOCOL_VERSION = 4;
export const MIN_CLIENT_PROTOCOL = 4;
export const MIN_NODE_PROTOCOL = 3;
export const MIN_PROBE_PROTOCOL = 3;

// protocol/ and dist/protocol/ both sit one or two levels below the repo root; find the fixtures.
function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const candidate = join(dir, "fixtures", "contract", "protocol.schema.json");
    try {
      // Readable, not read: reading the 3.5 MB contract here cost every process that imports protocol/ a parse-sized read.
      accessSync(join(dir, "package.json"), constants.R_OK);
      accessSync(candidate, constants.R_OK);
      return dir;
    } catch {
      dir = dirname(dir);
    }
  }
  throw new Error("cannot locate fixtures/contract/protocol.schema.json above " + fileURLToPath(import.meta.url));
}

export const REPO_ROOT = findRepoRoot();
export const CONTRACT_DIR = join(REPO_ROOT, "fixtures", "contract");
export const CONTRACT_SCHEMA_PATH = join(CONTRACT_DIR, "protocol.schema.json");
export const CONTRACT_SHA256_PATH = join(CONTRACT_DIR, "protocol.schema.sha256");

export interface ContractSchema {
  $id: string;
  definitions: Record<string, object>;
  methods: Record<string, { scope: string; since: string }>;
  [key: string]: unknown;
}

let cached: ContractSchema | undefined;

export function loadContractSchema(): ContractSchema {
  cached ??= JSON.parse(readFileSync(CONTRACT_SCHEMA_PATH, "utf8")) as ContractSchema;
  return cached;
}

export function pinnedContractSha256(): string {
  return readFileSync(CONTRACT_SHA256_PATH, "utf8").trim();
}
