/**
 * `npm run legacy:install [-- --version V]`: install Node 24 and the legacy gateway now, with progress.
 * Without --version: every tested release (TESTED_LEGACY_VERSIONS), installed side by side at once.
 */
import { ensureLegacyInstalled, TESTED_LEGACY_VERSIONS } from "./index.js";

const i = process.argv.indexOf("--version");
const wanted = i > 0 && process.argv[i + 1] ? [process.argv[i + 1] as string] : [...TESTED_LEGACY_VERSIONS];
// At once: the Node 24 install is locked, so the releases wait for it and then install side by side.
for (const install of await Promise.all(wanted.map((v) => ensureLegacyInstalled(v)))) process.stdout.write(`openclaw@${install.version} at ${install.dir} (node ${install.nodeBin})\n`);
