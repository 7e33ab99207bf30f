import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The native addon and onnxruntime-node each keep thread pools; separate processes keep
    // test files from sharing (and racing on) process-wide settings such as configure().
    pool: 'forks',
  },
});
