/**
 * The default
 * logger writes JSON lines to `<stateDir>/logs/hanzod.log` (what `logs.tail` serves) and, for the CLI,
 * to stderr too. Secrets never reach a log: connection logs carry ids and reasons only, and the redact
 * paths below catch any credential-bearing object that slips into a log call.
 */
// A static import, so the bundle (scripts/build/bundle-hanzod.mjs) carries pino inside it: resolving and
// loading pino's ~25 CommonJS files from node_modules was a sixth of hanzod's start (issue 15).
import pino, { type Logger } from "pino";
import { join } from "node:path";

export const REDACT_PATHS = ["token", "password", "deviceToken", "signature", "*.token", "*.password", "*.deviceToken", "*.signature", "auth.*", "*.auth.*"];

export function logFilePath(stateDir: string): string {
  return join(stateDir, "logs", "hanzod.log");
}

export function createLogger(option: Logger | false | undefined, stateDir: string, alsoStderr: boolean): Logger | undefined {
  if (option === false) return undefined;
  if (option) return option;
  const file = pino.destination({ dest: logFilePath(stateDir), mkdir: true, sync: false });
  const streams: { stream: NodeJS.WritableStream | ReturnType<typeof pino.destination> }[] = [{ stream: file }];
  if (alsoStderr) streams.push({ stream: pino.destination(2) });
  return pino.pino(
    { name: "hanzod", level: process.env.HANZOD_LOG_LEVEL ?? "info", redact: { paths: REDACT_PATHS, censor: "[redacted]" } },
    streams.length === 1 ? file : pino.multistream(streams),
  );
}
