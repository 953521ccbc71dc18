/**
 * The dev inbox is refused in production, through the real Node start-up (buildServerDeps: config from the
 * environment → providers → channels → app): without a provider for every channel the server does not start; with
 * one it starts and /dev/inbox(.json) is a 404.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import webPush from 'web-push'
import { createApp } from '../../../src/app.ts'
import { buildServerDeps, type ServerDeps } from '../../../src/runtime/server-deps.node.ts'
import { tickObjectShapeKept } from '../../../src/runtime/tick-object-shape.node.ts'
import { timerShapeSettled } from '../../../src/runtime/timer-shape.node.ts'

/** What production insists on besides notifications: secrets and a real (placeholder) payment provider. */
function productionBase(): Record<string, string> {
  const { privateKey } = generateKeyPairSync('ed25519')
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    EVENTS_DISPATCHER: 'false',
    JWT_SECRET: randomBytes(32).toString('hex'),
    TICKET_SIGNING_KEY: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64url'),
    STRIPE_SECRET_KEY: `sk_test_${randomBytes(12).toString('hex')}`,
    STRIPE_WEBHOOK_SECRET: `whsec_${randomBytes(12).toString('hex')}`,
  }
}

/** A provider for every channel (placeholders: nothing is sent in these tests). */
function everyChannel(): Record<string, string> {
  const vapid = webPush.generateVAPIDKeys()
  return {
    EMAIL_FROM: 'KamHub <noreply@kamhub.invalid>',
    RESEND_API_KEY: `re_${randomBytes(12).toString('hex')}`,
    SMSRU_API_ID: randomBytes(12).toString('hex'),
    VAPID_PUBLIC_KEY: vapid.publicKey,
    VAPID_PRIVATE_KEY: vapid.privateKey,
    VAPID_SUBJECT: 'mailto:ops@kamhub.invalid',
  }
}

describe('dev inbox in production', () => {
  let dataDir: string
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'kamhub-prod-inbox-'))
  })
  afterAll(() => rm(dataDir, { recursive: true, force: true }))

  it('without a provider for every channel (and no ALLOW_DEV_ADAPTERS) the server refuses to start, naming the dev inbox', async () => {
    // an unreachable database that is never contacted: migrations off, and the refusal comes before any query
    const env = { ...productionBase(), DATABASE_URL: 'postgres://kamhub@127.0.0.1:9/never', MIGRATE_ON_START: 'false', EMAIL_FROM: 'KamHub <noreply@kamhub.invalid>', RESEND_API_KEY: 're_only_email_configured' }
    await expect(buildServerDeps(env)).rejects.toThrow(/dev inbox .*refused in production: configure a provider for sms, push/)
  })

  it('with a provider for every channel the server starts, and /dev/inbox and /dev/inbox.json are 404', async () => {
    // ALLOW_DEV_ADAPTERS only for the embedded database here; with every channel configured there is no inbox at all
    const server: ServerDeps = await buildServerDeps({ ...productionBase(), ...everyChannel(), ALLOW_DEV_ADAPTERS: 'true', DATA_DIR: dataDir })
    try {
      expect(server.deps.notifications!.channels.devInbox).toBe(false)
      // The start-up every server shares keeps the nextTick record shape and settles the timers' (runtime/*-shape.node.ts).
      expect(tickObjectShapeKept()).toBe(true)
      expect(timerShapeSettled()).toBe(true)
      const app = createApp(server.deps)
      for (const path of ['/dev/inbox', '/dev/inbox.json']) {
        const res = await app.request(path)
        expect(res.status, path).toBe(404)
        expect(await res.text()).not.toContain('Dev inbox')
      }
    } finally {
      await server.close()
    }
  })

  it('production with ALLOW_DEV_ADAPTERS keeps messages in the inbox but never serves the page: it has no login', async () => {
    const server: ServerDeps = await buildServerDeps({ ...productionBase(), ALLOW_DEV_ADAPTERS: 'true', DATA_DIR: join(dataDir, 'allowed') })
    try {
      expect(server.deps.notifications!.channels.devInbox).toBe(true)
      const app = createApp(server.deps)
      for (const path of ['/dev/inbox', '/dev/inbox.json']) expect((await app.request(path)).status, path).toBe(404)
    } finally {
      await server.close()
    }
  })
})
