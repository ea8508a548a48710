/**
 * This process's instance id, as the legacy's getGatewayProcessInstanceId: one per OS process (an
 * in-process restart keeps it, like the pid). `system.info` reports it with the pid, and
 * `gateway.suspend.handoff` accepts only a target naming both.
 */
import { randomUUID } from "node:crypto";

export const PROCESS_INSTANCE_ID = randomUUID();
