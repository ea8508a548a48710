export { ensureLegacyInstalled, legacyEnv, type LegacyInstall, type ProgressLog } from "./install.js";
export { startLegacyGateway, LEGACY_READY_TIMEOUT_MS, deepMerge, QUIET_CONFIG, QUIET_ENV, type LegacyGateway, type LegacyGatewayOptions } from "./launch.js";
export { runOpenclawCli, type CliRun } from "./cli-runner.js";
export { freePort } from "./free-port.js";
export { stopProcessGroup, exited } from "./process.js";
export { DEFAULT_LEGACY_VERSION, TESTED_LEGACY_VERSIONS, PINNED_NODE24, cacheRoot } from "./paths.js";
export { modelProviderConfig, DEFAULT_PROVIDER_ID, type LegacyModelProvider } from "./model-config.js";
