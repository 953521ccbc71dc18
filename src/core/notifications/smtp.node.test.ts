import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeSmtp, type FakeSmtp } from '../../../tests/support/fake-smtp.ts'
import { NotificationError, type EmailMessage } from './provider.ts'
import { smtpProvider } from './smtp.node.ts'

let server: FakeSmtp
let smtp: ReturnType<typeof smtpProvider>

const email = (overrides: Partial<EmailMessage> = {}): EmailMessage => ({
  to: 'traveller@example.org',
  from: 'KamHub <noreply@kamhub.example>',
  replyTo: 'support@kamhub.example',
  subject: 'Your Khodutka hot springs trip',
  html: '<p>Towels provided</p>',
  text: 'Towels provided',
  headers: { 'X-Booking': 'bk_5' },
  idempotencyKey: 'ntf-smtp-1',
  ...overrides,
})

async function failure(promise: Promise<unknown>): Promise<NotificationError> {
  const error = await promise.then(() => undefined, (e: unknown) => e)
  expect(error).toBeInstanceOf(NotificationError)
  return error as NotificationError
}

beforeAll(async () => {
  server = await startFakeSmtp()
  smtp = smtpProvider({ url: server.url, timeoutMs: 5_000 })
})
afterAll(async () => {
  await smtp.close()
  await server.close()
})

describe('smtpProvider against an in-process SMTP server', () => {
  it('the server receives the message after AUTH: envelope, headers, both bodies and a Message-ID derived from the key', async () => {
    const result = await smtp.send(email())
    const mail = server.received.at(-1)!
    expect(mail.from).toBe('noreply@kamhub.example')
    expect(mail.to).toEqual(['traveller@example.org'])
    expect(mail.raw).toMatch(/^Subject: Your Khodutka hot springs trip\r$/m)
    expect(mail.raw).toMatch(/^Reply-To: support@kamhub.example\r$/m)
    expect(mail.raw).toMatch(/^X-Booking: bk_5\r$/m)
    expect(mail.raw).toContain('Towels provided')
    expect(mail.raw).toContain('<p>Towels provided</p>')
    expect(mail.raw).toContain(`Message-ID: ${result.providerMessageId}`)
    expect(result.providerMessageId).toMatch(/^<[0-9a-f]{32}@kamhub\.example>$/)
  })

  it('a retry of the same notification carries the same Message-ID; another notification a different one', async () => {
    const first = await smtp.send(email())
    expect((await smtp.send(email())).providerMessageId).toBe(first.providerMessageId)
    expect((await smtp.send(email({ idempotencyKey: 'ntf-smtp-2' }))).providerMessageId).not.toBe(first.providerMessageId)
  })

  it('classifies: 550 mailbox → rejected, 451 → outage, wrong password → outage without the password, no server → outage', async () => {
    expect((await failure(smtp.send(email({ to: 'x@blocked.example' })))).kind).toBe('rejected')
    expect((await failure(smtp.send(email({ to: 'x@busy.example' })))).kind).toBe('outage')
    const wrong = smtpProvider({ url: server.url.replace('smtp-test-password', 'wrong-pass-123'), timeoutMs: 5_000 })
    const error = await failure(wrong.send(email()))
    expect(error.kind).toBe('outage')
    expect(error.message).not.toContain('wrong-pass-123')
    await wrong.close()
    const down = smtpProvider({ url: 'smtp://u:p@127.0.0.1:1', timeoutMs: 5_000 })
    expect((await failure(down.send(email()))).kind).toBe('outage')
    await down.close()
  })
})
