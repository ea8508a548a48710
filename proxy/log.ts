/** The proxy's logger: pino JSON, with secrets redacted wherever they could appear. */
import { pino, type Logger, type LevelWithSilent } from "pino";

export type { Logger };

const REDACT = [
  "token",
  "*.token",
  "*.*.token",
  "password",
  "*.password",
  "*.*.password",
  "deviceToken",
  "*.deviceToken",
  "*.*.deviceToken",
  "signature",
  "*.signature",
  "*.*.signature",
  "headers.authorization",
  "headers.cookie",
  "hanzodToken",
];

export function createLogger(level: LevelWithSilent = (process.env.HANZONODE_LOG_LEVEL as LevelWithSilent | undefined) ?? "info"): Logger {
  return pino({ name: "hanzonode-proxy", level, redact: { paths: REDACT, censor: "[redacted]" } }, pino.destination(2));
}
