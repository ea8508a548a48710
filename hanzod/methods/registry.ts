/**
 * The names of the methods hanzod implements, as static data with no imports, so tools (the parity
 * report's "implemented in hanzod" coverage, checklists, docs) can read it without loading the
 * runtime. The runtime's handler table (methods/index.ts) must list exactly these;
 * test/contract-hanzod-registry.test.ts holds the two equal.
 */
export const HANZOD_METHODS: readonly string[] = Object.freeze([
  "health",
  "status",
  "system-presence",
  "system.info",
  "logs.tail",
  "gateway.restart.preflight",
  "gateway.restart.request",
  "gateway.suspend.prepare",
  "gateway.suspend.status",
  "gateway.suspend.resume",
]);
