#!/usr/bin/env node
// Thin launcher: the runtime is compiled to dist/ by `npm ci` (prepare) or `npm run build`, and bundled into
// dist/bundle/ (scripts/build/bundle-hanzod.mjs: it starts in about half the time of the module tree).
import { runFromBin } from "./launch.js";
await runFromBin("bundle/hanzod.js", "hanzod/cli.js");
