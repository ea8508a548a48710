/**
 * Which Control UI hanzod serves (`--control-ui-root`): a directory given, `none`, or by default the one the
 * legacy itself would serve when hanzod stands beside a legacy install: the `dist/control-ui` of the openclaw
 * package whose `openclaw` command is on PATH (the legacy finds its bundled UI next to its own entry point).
 */
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { ConfigError } from "./config-error.js";
import { hasControlUi, legacyControlUiRoot } from "./core/http/control-ui.js";

/** The openclaw package directory holding `entry` (its package.json names "openclaw"), walking up a little. */
function openclawPackageOf(entry: string): string | undefined {
  let dir = dirname(entry);
  for (let i = 0; i < 4; i++) {
    try {
      if ((JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: unknown }).name === "openclaw") return dir;
    } catch {
      /* no package.json here: one level up */
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

/** The installed legacy's UI found through PATH, or undefined when no openclaw (with its UI) is installed. */
export function installedLegacyControlUiRoot(env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const bin = join(dir, "openclaw");
    if (!existsSync(bin)) continue;
    let entry: string;
    try {
      entry = realpathSync(bin);
    } catch {
      continue;
    }
    const pkg = openclawPackageOf(entry);
    if (pkg && hasControlUi(legacyControlUiRoot(pkg))) return legacyControlUiRoot(pkg);
  }
  return undefined;
}

/** The flag's value resolved: a directory that must hold index.html (else a config error), none, or the default. */
export function resolveControlUiRoot(flag: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (flag === "none") return undefined;
  if (flag === undefined) return installedLegacyControlUiRoot(env);
  const root = resolve(flag);
  if (!hasControlUi(root)) throw new ConfigError(`hanzod: --control-ui-root ${root} holds no Control UI (no index.html); give the legacy package's dist/control-ui, or none`);
  return root;
}
