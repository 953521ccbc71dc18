import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import { startTestApp, type TestApp } from '../support/app.ts'
import { loginUser, registerUser } from '../support/auth.ts'
import { bootstrapAdmin } from '../../src/core/auth/bootstrap.ts'
import { parseConfig, ConfigError } from '../../src/core/config/schema.ts'
import { users } from '../../src/core/auth/tables.ts'
import { verifyPassword } from '../../src/core/auth/password.ts'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ env: { AUTH_RATE_LIMIT: '10000' } })
})
afterAll(() => t.close())

const withConfig = (env: Record<string, string>) => ({ ...t.deps, config: parseConfig({ NODE_ENV: 'test', ...env }) })

describe('first admin from the environment', () => {
  it('creates the admin once; later starts leave it alone', async () => {
    const deps = withConfig({ ADMIN_EMAIL: 'Boss@Example.com', ADMIN_PASSWORD: 'bootstrap password 1' })
    expect(await bootstrapAdmin(deps)).toBe('created')
    expect(await bootstrapAdmin(deps)).toBe('exists')
    const session = await loginUser(t, 'boss@example.com', 'bootstrap password 1')
    expect(session.user.role).toBe('admin')
  })

  it('an existing account with that email keeps its role and password', async () => {
    const { user } = await registerUser(t)
    expect(await bootstrapAdmin(withConfig({ ADMIN_EMAIL: user.email, ADMIN_PASSWORD: 'some other password' }))).toBe('exists')
    const row = (await t.deps.db.orm.select().from(users).where(eq(users.id, user.id)))[0]!
    expect(row.role).toBe('traveller')
    expect((await verifyPassword('some other password', row.passwordHash)).ok).toBe(false)
  })

  it('does nothing without ADMIN_EMAIL, and refuses ADMIN_EMAIL without ADMIN_PASSWORD', async () => {
    expect(await bootstrapAdmin(withConfig({}))).toBe('disabled')
    await expect(bootstrapAdmin(withConfig({ ADMIN_EMAIL: 'x@example.com' }))).rejects.toBeInstanceOf(ConfigError)
  })

  it('never logs the password', async () => {
    const lines: unknown[] = []
    const logger = { ...t.deps.logger, info: (...args: unknown[]) => lines.push(args) } as unknown as typeof t.deps.logger
    await bootstrapAdmin({ ...withConfig({ ADMIN_EMAIL: 'logged-admin@example.com', ADMIN_PASSWORD: 'do-not-log-this-password' }), logger })
    expect(lines).toHaveLength(1)
    expect(JSON.stringify(lines)).not.toContain('do-not-log-this-password')
  })
})

describe('admin:create CLI', () => {
  let dataDir: string
  let env: Record<string, string>
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'kamhub-cli-'))
    // The CLI opens the server's database: the test's PostgreSQL copy, or a PGlite directory of its own.
    env = { NODE_ENV: 'test', LOG_LEVEL: 'silent', ...(t.db.url ? { DATABASE_URL: t.db.url } : { DATA_DIR: dataDir }) }
  })
  afterAll(() => rm(dataDir, { recursive: true, force: true }))

  function cli(args: string[], extraEnv: Record<string, string> = {}, stdin?: string) {
    return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        ['--import', 'tsx', 'src/cli/create-admin.ts', ...args],
        { env: { PATH: process.env.PATH ?? '', ...env, ...extraEnv }, timeout: 60_000 },
        (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      )
      child.stdin?.end(stdin ?? '')
    })
  }

  it('creates an admin from a stdin password, refuses a duplicate, and promotes an existing account on request', async () => {
    const created = await cli(['--email', 'Ops@Example.com', '--name', 'Ops'], {}, 'stdin password 123\n')
    expect(created.stderr).toBe('')
    expect(created.code).toBe(0)
    expect(JSON.parse(created.stdout)).toMatchObject({ email: 'ops@example.com', role: 'admin', created: true })
    expect(created.stdout + created.stderr).not.toContain('stdin password 123')

    const again = await cli(['--email', 'ops@example.com'], { ADMIN_PASSWORD: 'env password 12345' })
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('already exists')

    const promoted = await cli(['--email', 'ops@example.com', '--promote'])
    expect(promoted.code).toBe(0)
    expect(JSON.parse(promoted.stdout)).toMatchObject({ role: 'admin', promoted: true })
  }, 120_000)

  it('refuses a short password and a missing email with a usage message', async () => {
    const short = await cli(['--email', 'short@example.com'], {}, 'tooshort\n')
    expect(short.code).toBe(2)
    expect(short.stderr).toContain('password must be')
    expect(short.stderr).not.toContain('tooshort')
    const noEmail = await cli([])
    expect(noEmail.code).toBe(2)
  }, 120_000)
})
