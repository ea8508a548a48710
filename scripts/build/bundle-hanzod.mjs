// Bundles the compiled hanzod (dist/hanzod/cli.js, after tsc) into dist/bundle/: what bin/hanzod.js runs.
// Why: a CPU profile of hanzod's start is mostly module resolution and loading (issue 15); one file (plus
// chunks for what loads lazily, and the intake worker) starts in about half the time of ~300 modules.
// better-sqlite3 (native code) stays external and resolves from node_modules. pino is bundled: hanzod never
// starts a pino transport, the one part of pino that needs its files on disk (thread-stream's worker).
import { build } from "esbuild";
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const outdir = join(root, "dist", "bundle");
rmSync(outdir, { recursive: true, force: true });

await build({
  entryPoints: {
    hanzod: join(root, "dist", "hanzod", "cli.js"),
    // The intake worker is started by URL next to the module that starts it (hanzod/core/intake/off-thread.ts):
    // entry and chunks share this folder, so `./decode-worker.js` resolves here.
    "decode-worker": join(root, "dist", "hanzod", "core", "intake", "decode-worker.js"),
  },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20.19",
  logLevel: "warning",
  external: ["better-sqlite3", "better-sqlite3-napi"],
  // Bundled CommonJS (yargs' helpers, ws) calls require(); give the ESM output one.
  banner: { js: "import { createRequire as __hanzodCreateRequire } from 'node:module'; const require = __hanzodCreateRequire(import.meta.url);" },
});
