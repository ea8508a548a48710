import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", "dist/**"],
    globalSetup: ["./test/global-setup.ts"],
    // Two cores: the legacy gateway already takes one, so keep test files from piling on.
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 60_000,
    // A legacy gateway starting in a hook: openclaw 2026.9.6 may take minutes on a loaded 2-core machine.
    hookTimeout: 300_000,
    pool: "forks",
  },
});
