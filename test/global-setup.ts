/**
 * One real legacy gateway per test run, on a free port, shared by every test file through
 * `inject("legacy")`. Stopped by PID when the run ends.
 */
import type { TestProject } from "vitest/node";
import type {} from "vitest";
import { startLegacyGateway } from "../scripts/legacy/index.js";

export interface LegacyHandle {
  url: string;
  httpUrl: string;
  port: number;
  token: string;
  pid: number;
  version: string;
  nodeBin: string;
  openclawEntry: string;
  installDir: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    legacy: LegacyHandle;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const gw = await startLegacyGateway();
  project.provide("legacy", {
    url: gw.url,
    httpUrl: gw.httpUrl,
    port: gw.port,
    token: gw.token,
    pid: gw.pid,
    version: gw.version,
    nodeBin: gw.install.nodeBin,
    openclawEntry: gw.install.openclawEntry,
    installDir: gw.install.dir,
  });
  return () => gw.stop();
}
