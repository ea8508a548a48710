#!/usr/bin/env node
// Thin launcher: the runtime is compiled to dist/ by `npm ci` (prepare) or `npm run build`.
import { runFromBin } from "./launch.js";
await runFromBin("hanzod/cli.js");
