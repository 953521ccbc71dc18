import { defineConfig } from 'vitest/config'

// Runtime smoke tests (`npm run test:runtime`): each file boots the real app on Node, Deno or workerd as a child
// process. One file at a time: a 2-core machine starting wrangler, Deno and PGlite at once only gets slower.
export default defineConfig({
  test: {
    include: ['tests/runtime/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 150_000,
    fileParallelism: false,
    pool: 'forks',
  },
})
