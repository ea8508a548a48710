/** The shared protocol module: every part (proxy, recorder, hanzod, parity) imports from here. */
export * from "./contract.js";
export * from "./frames.js";
export * from "./codec.js";
export * from "./validators.js";
export * from "./methods.js";
export * from "./scopes.js";
export * from "./errors.js";
export * from "./device-auth.js";
export * from "./raw-client.js";
export * from "./sqlite.js";
export * from "./challenge-assertion.js";
export * from "./releases.js";
export * from "./window.js";
export * from "./recorded-suites.js";
