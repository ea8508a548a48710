/**
 * `hanzonode`: the migration toolkit's entry. The commands that host the proxy start once more with the
 * daemon's start-time environment first (daemon-reexec.ts); main.ts is loaded only by the process that runs
 * the command, so the first start costs no more than node itself.
 */
import { reexecWithDaemonEnv } from "./daemon-reexec.js";

if (!reexecWithDaemonEnv()) await import("./main.js");
