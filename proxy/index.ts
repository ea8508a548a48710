/** The routing proxy: the one entry point other parts and tests import. */
export { startProxy } from "./server.js";
export type { ProxyOptions, RunningProxy } from "./api.js";
export type { FrameTap, ConnectionTap, ConnectionMeta, Backend } from "./tap.js";
