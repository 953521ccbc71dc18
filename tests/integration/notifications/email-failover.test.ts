import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sendWithFailover } from '../../../src/core/notifications/failover.ts'
import { NotificationError, type EmailMessage, type EmailProvider } from '../../../src/core/notifications/provider.ts'
import { resendProvider } from '../../../src/core/notifications/resend.ts'
import { sendGridProvider } from '../../../src/core/notifications/sendgrid.ts'
import { startFakeResend, type FakeResend } from '../../support/fake-resend.ts'
import { startFakeSendGrid, type FakeSendGrid } from '../../support/fake-sendgrid.ts'

let resendFake: FakeResend
let sendgridFake: FakeSendGrid
let providers: EmailProvider[]

const email = (to = 'traveller@example.org'): EmailMessage => ({
  to,
  from: 'KamHub <noreply@kamhub.example>',
  subject: 'Booking confirmed',
  html: '<p>ok</p>',
  text: 'ok',
  idempotencyKey: crypto.randomUUID(),
})

beforeAll(async () => {
  ;[resendFake, sendgridFake] = await Promise.all([startFakeResend(), startFakeSendGrid()])
  providers = [resendProvider({ apiKey: resendFake.apiKey, baseUrl: resendFake.url }), sendGridProvider({ apiKey: sendgridFake.apiKey, baseUrl: sendgridFake.url })]
})
afterAll(() => Promise.all([resendFake.close(), sendgridFake.close()]))

describe('email failover across real adapters and their local fakes', () => {
  it('Resend down (503) → SendGrid sends the same message', async () => {
    resendFake.failNextWith(503, 'internal_server_error')
    const before = sendgridFake.requests.length
    const sent = await sendWithFailover(providers, email())
    expect(sent).toMatchObject({ provider: 'sendgrid', skipped: ['resend'], result: { status: 'queued' } })
    expect(sendgridFake.requests.length).toBe(before + 1)
  })

  it('Resend rejects the address (422) → SendGrid is never called', async () => {
    const before = sendgridFake.requests.length
    const error = await sendWithFailover(providers, email('no-at-sign')).then(() => undefined, (e: unknown) => e)
    expect((error as NotificationError).kind).toBe('rejected')
    expect(sendgridFake.requests.length).toBe(before)
  })

  it('Resend up → Resend sends and SendGrid is not called', async () => {
    const before = sendgridFake.requests.length
    expect((await sendWithFailover(providers, email())).provider).toBe('resend')
    expect(sendgridFake.requests.length).toBe(before)
  })
})
