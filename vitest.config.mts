import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Files share a worker's module cache (importing the Pulumi SDKs once per worker, not once per file: half
    // the suite's time). Safe because every offline plan sets its own config and mocks and disconnects after
    // (cli/engine/record.ts); shuffled runs (`--sequence.shuffle`) pass too.
    isolate: false,
    testTimeout: 30_000,
    pool: "forks",
    // Vitest leaves one core free by default: on a 2-core machine that is one worker for a CPU-bound suite. Every
    // core runs a worker (measured on 2 cores: 107 s instead of 177 s).
    maxWorkers: Math.max(1, availableParallelism()),
  },
});
