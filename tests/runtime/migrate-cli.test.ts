/**
 * `npm run migrate` (src/cli/migrate.ts), the step a Workers deploy runs before `wrangler deploy`: applies pending
 * files once, is a no-op the second time, and fails with exit 1 and a message that never shows the password.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { BIN, ROOT, baseEnv, databaseTargets, freePort, run, type DatabaseTarget } from './support.ts'

const migrate = (env: Record<string, string>) => run(join(BIN, 'tsx'), ['src/cli/migrate.ts'], baseEnv(env))

for (const kind of ['postgres', 'pglite'] as const) {
  describe(`migrate CLI on ${kind}`, () => {
    let files: string[]
    let db: DatabaseTarget
    beforeAll(async () => {
      files = (await readdir(join(ROOT, 'sql'))).filter((n) => n.endsWith('.sql')).sort()
      db = await databaseTargets[kind]('migrate')
    })
    afterAll(() => db?.cleanup())

    it('applies every file on a fresh database, then nothing on the second run', async () => {
      const first = await migrate(db.env)
      expect(first.code, first.output).toBe(0)
      for (const name of files) expect(first.output).toContain(`applied ${name}`)

      const second = await migrate(db.env)
      expect(second.code, second.output).toBe(0)
      expect(second.output).toContain(`0 applied, ${files.length} already applied`)
    })
  })
}

describe('migrate CLI failures', () => {
  it('an unreachable database: exit 1, a clear message, the password masked', async () => {
    const port = await freePort() // nothing listens there
    const result = await migrate({ DATABASE_URL: `postgres://kamhub:s3cr3t-pw@127.0.0.1:${port}/kamhub` })
    expect(result.code).toBe(1)
    expect(result.output).toContain('migrate failed:')
    expect(result.output).toContain('ECONNREFUSED')
    expect(result.output).toContain('postgres://kamhub:***@')
    expect(result.output).not.toContain('s3cr3t-pw')
  })

  it('an invalid DATABASE_URL names the variable', async () => {
    const result = await migrate({ DATABASE_URL: 'not a url' })
    expect(result.code).toBe(1)
    expect(result.output).toContain('DATABASE_URL')
  })
})
