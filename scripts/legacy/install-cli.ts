/** `npm run legacy:install [-- --version V]`: install the pinned legacy gateway and Node 24 now, with progress. */
import { ensureLegacyInstalled, DEFAULT_LEGACY_VERSION } from "./index.js";

const i = process.argv.indexOf("--version");
const version = i > 0 ? (process.argv[i + 1] ?? DEFAULT_LEGACY_VERSION) : DEFAULT_LEGACY_VERSION;
const install = await ensureLegacyInstalled(version);
process.stdout.write(`openclaw@${install.version} at ${install.dir} (node ${install.nodeBin})\n`);
