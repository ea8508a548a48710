/**
 * A configuration error: hanzod cannot start until its configuration is fixed. The CLI exits with 78
 * (EX_CONFIG), as the legacy gateway does, so a supervisor that restarts on failure leaves it stopped
 * (systemd `RestartPreventExitStatus=78`) instead of looping on a config that will fail again.
 */
export const CONFIG_ERROR_EXIT_CODE = 78;

export class ConfigError extends Error {
  override name = "ConfigError";
}

export function isConfigError(err: unknown): err is ConfigError {
  return err instanceof ConfigError;
}
