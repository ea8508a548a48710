/** `system-presence` and `system.info`: this host and this process, as the legacy reports them. */
import { arch, cpus, freemem, hostname, loadavg, platform, release, totalmem, type } from "node:os";
import { statfsSync } from "node:fs";
import type { CoreServices } from "../../core/runtime.js";
import { PROCESS_INSTANCE_ID as processInstanceId } from "../../core/process-instance.js";

export function systemPresence(core: CoreServices): unknown {
  return core.presence.list();
}

function osLabel(): string {
  const p = platform();
  if (p === "linux") return `Linux ${release()}`;
  if (p === "darwin") return `macOS ${release()}`;
  if (p === "win32") return `Windows ${release()}`;
  return `${type()} ${release()}`;
}

export function systemInfo(core: CoreServices): Record<string, unknown> {
  const cpuList = cpus();
  const info: Record<string, unknown> = {
    machineName: hostname(),
    hostname: hostname(),
    platform: platform(),
    release: release(),
    arch: arch(),
    osLabel: osLabel(),
    port: core.port,
    nodeVersion: process.version,
    pid: process.pid,
    processInstanceId,
    uptimeMs: Math.round(process.uptime() * 1000),
    cpuCount: cpuList.length,
    ...(cpuList[0]?.model ? { cpuModel: cpuList[0].model.trim() } : {}),
    loadAverage: loadavg().map((n) => Math.round(n * 100) / 100),
    memoryTotalBytes: totalmem(),
    memoryFreeBytes: freemem(),
  };
  try {
    const fs = statfsSync(core.opts.stateDir);
    info.diskTotalBytes = fs.blocks * fs.bsize;
    info.diskAvailableBytes = fs.bavail * fs.bsize;
    info.diskPath = core.opts.stateDir;
  } catch {
    /* the state dir may not exist yet; the legacy omits disk fields then too */
  }
  return info;
}
