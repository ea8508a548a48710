/**
 * The config domain: `config.get` on the legacy's `openclaw.json` (see config-get.ts for what is answered
 * and what is refused). Its revision key is the legacy's (state database, `config_revision_keys`), loaded
 * on first use, so a hash hanzod hands out is the one the legacy hands out for the same file.
 */
import { defineDomain, declined } from "../../core/method.js";
import { createConfigRevisionProjector, loadConfigRevisionKey, type ConfigRevisionProjector } from "../../state/config-revision.js";
import { legacyStateLayout } from "../../state/legacy-state.js";
import { configGet } from "./config-get.js";

interface ConfigState {
  configPath: string;
  projector(): ConfigRevisionProjector;
}

export default defineDomain<ConfigState>({
  name: "config",
  setup(core) {
    const configPath = core.opts.configPath ?? core.legacy?.configPath ?? legacyStateLayout(core.opts.stateDir).configPath;
    let projector: ConfigRevisionProjector | undefined;
    return {
      configPath,
      projector() {
        if (projector) return projector;
        if (!core.legacy) throw declined("config.get: hanzod needs the legacy's state dir (--state-dir) for the config revision key");
        projector = createConfigRevisionProjector(loadConfigRevisionKey(core.legacy.stateDb));
        return projector;
      },
    };
  },
  methods: [{ name: "config.get", params: "contract", handler: ({ state, core }) => configGet(state.configPath, core.version, () => state.projector()) }],
});
