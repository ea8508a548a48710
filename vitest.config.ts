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
    hookTimeout: 180_000,
    pool: "forks",
  },
});
