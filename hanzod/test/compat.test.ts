/**
 * Issue 13: hanzod accepts the clients of every release in its window and answers as the release it
 * stands beside. A 2026.9.6 Control UI connects with `modelCatalog` (2026.9.1's contract refuses it);
 * hanzod serves it in either --compat, and reports the compat release as server.version.
 */
import { describe, expect, it } from "vitest";
import { useTestHanzod, openRaw, connectFrame, isRes, type Frame } from "./helpers.js";
import { resolveCompatRelease } from "../version.js";

const cli = { id: "cli", version: "2026.9.6", platform: "linux", mode: "cli" };

async function connect(url: string, token: string, extra: Record<string, unknown>): Promise<{ challenge: Record<string, unknown>; res: Frame; close: () => void }> {
  const s = await openRaw(url);
  s.send(connectFrame({ client: cli, role: "operator", scopes: ["operator.read"], auth: { token }, ...extra }));
  const res = await s.next(isRes("c1"));
  return { challenge: s.challenge as unknown as Record<string, unknown>, res, close: s.close };
}

describe.each(["2026.9.1", "2026.9.6"])("hanzod --compat %s", (release) => {
  const hz = useTestHanzod({ compat: release });

  it("serves a 2026.9.6 client's connect with modelCatalog, and reports the compat release", async () => {
    const c = await connect(hz.url, hz.token, { modelCatalog: { agentId: "main" } });
    try {
      expect(c.res.ok, JSON.stringify(c.res.error)).toBe(true);
      const hello = c.res.payload as { server: { version: string; buildId: string } };
      expect(hello.server.version).toBe(release);
      expect(hello.server.buildId).toBe(`hanzod-${release}`);
    } finally {
      c.close();
    }
  });

  it("answers as its release where releases differ (challenge capabilities, hello-ok auth.method)", async () => {
    const c = await connect(hz.url, hz.token, {});
    try {
      const hello = c.res.payload as { auth: Record<string, unknown>; snapshot: { presence: Record<string, unknown>[] } };
      if (release === "2026.9.6") {
        expect(c.challenge.capabilities).toEqual(["model-catalog-snapshot"]);
        expect(hello.auth.method).toBe("token");
        expect(hello.snapshot.presence[0]).not.toHaveProperty("modelIdentifier");
      } else {
        expect(c.challenge).not.toHaveProperty("capabilities");
        expect(hello.auth).not.toHaveProperty("method");
        expect(hello.snapshot.presence[0]).toHaveProperty("modelIdentifier");
      }
    } finally {
      c.close();
    }
  });

  it("still refuses a connect no release of the window allows, worded as the legacy does", async () => {
    const c = await connect(hz.url, hz.token, { modelCatalogue: { agentId: "main" } });
    expect(c.res.ok).toBe(false);
    expect(c.res.error).toMatchObject({ code: "INVALID_REQUEST", message: "invalid connect params: at root: unexpected property 'modelCatalogue'" });
    c.close();
  });
});

describe("--compat", () => {
  it("accepts the frozen releases of the window and names them when refusing another", () => {
    expect(resolveCompatRelease(undefined)).toBe("2026.9.6");
    expect(resolveCompatRelease("2026.9.1")).toBe("2026.9.1");
    expect(() => resolveCompatRelease("2026.8.2")).toThrow(/--compat 2026\.8\.2: .*2026\.9\.1\.\.2026\.9\.6 \(2026\.9\.1, 2026\.9\.6\)/);
  });
});
