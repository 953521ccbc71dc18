import { defineConfig } from 'vitest/config'

// Reliability tests kill processes and restart their own private PostgreSQL cluster: one file at a time, apart
// from `npm test`. They need PostgreSQL 15 binaries (/usr/lib/postgresql/15/bin, or PG_BIN).
export default defineConfig({
  test: {
    include: ['tests/reliability/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 120_000,
  },
})
