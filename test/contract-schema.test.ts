/** The frozen contracts are what we say they are, and the generated TypeScript view of them is current. */
import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CONTRACT_SCHEMA_PATH, REPO_ROOT, RELEASE_FILES, frozenReleases, pinnedContractSha256, releaseDir } from "../protocol/index.js";
import { generatedOnDisk, renderAll } from "../scripts/contract/render.js";

const sha256 = (path: string): string => createHash("sha256").update(readFileSync(path)).digest("hex");

describe("frozen contract", () => {
  it("protocol.schema.json (the pinned package) matches its recorded sha256", () => {
    expect(pinnedContractSha256().split(/\s+/)[0]).toBe(sha256(CONTRACT_SCHEMA_PATH));
  });

  it("every frozen release's files match its SHA256SUMS", () => {
    expect(frozenReleases().length).toBeGreaterThanOrEqual(2);
    for (const release of frozenReleases()) {
      const sums = readFileSync(join(releaseDir(release), RELEASE_FILES.sums), "utf8").trim().split("\n");
      expect(sums.map((l) => l.split(/\s+/)[1]).sort()).toEqual([RELEASE_FILES.methods, RELEASE_FILES.schema, RELEASE_FILES.surface].sort());
      for (const line of sums) {
        const [hash, name] = line.split(/\s+/) as [string, string];
        expect(sha256(join(releaseDir(release), name)), `${release}/${name}`).toBe(hash);
      }
    }
  });

  it("protocol/generated/* equals what `npm run contract:types` renders", async () => {
    const files = await renderAll();
    expect(files.map((f) => f.path).sort()).toEqual((await generatedOnDisk()).sort());
    for (const f of files) expect(readFileSync(join(REPO_ROOT, "protocol", "generated", f.path), "utf8") === f.text, f.path).toBe(true);
  }, 120_000);
});
