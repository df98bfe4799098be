import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Pulumi's runtime keeps global state (mocks, config): isolate each file.
    isolate: true,
    testTimeout: 30_000,
    pool: "forks",
  },
});
