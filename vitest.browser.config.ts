import { defineConfig } from 'vitest/config'

// Browser checks need Debian's chromium (installed by .ci/run); they run apart from `npm test` so a fresh machine
// without a browser still passes the main suite.
export default defineConfig({
  test: {
    include: ['tests/browser/**/*.test.ts'],
    globalSetup: ['tests/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
