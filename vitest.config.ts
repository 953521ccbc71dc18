import { defineConfig } from 'vitest/config'

// One config for unit tests (beside the code) and integration tests (tests/). The database under test is PGlite
// by default and a real PostgreSQL when TEST_DATABASE_URL is set; tests/support/global-setup.ts prepares a migrated
// template either way, and each test file starts from its own copy.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'tests/**/*.test.ts'],
    exclude: ['tests/runtime/**', 'tests/browser/**', 'node_modules/**'],
    globalSetup: ['tests/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
})
