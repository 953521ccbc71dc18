/**
 * /dev/inbox in a real browser (Debian's headless Chromium): on the embedded default (no provider configured) a
 * confirmed booking's receipt and a cancelled departure's alert, sent through the real subscribers and queue, are
 * stored and shown — the list, each e-mail rendered inside a script-less sandboxed iframe, SMS and push text — under
 * the page's strict CSP with no console error, no CSP violation in any frame and no request leaving the host.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import type { Browser } from 'playwright-core'
import { serveToChromium, type BrowserHarness } from '../support/browser.ts'
import { queryRows } from '../../src/core/db/index.ts'
import { parseConfig } from '../../src/core/config/schema.ts'
import { notificationChannels } from '../../src/pillars/engagement/notifications/channels.ts'
import type { InboxMessage } from '../../src/pillars/engagement/notifications/dev-inbox.ts'
import { send } from '../integration/booking/support.ts'
import { confirmedBooking, makeWorld, startNotifyApp, type NotifyTestApp } from '../integration/notifications/support.ts'

const TOUR_TITLE = 'Восхождение на Авачинский вулкан' // the Russian title of the support tour (the traveller reads ru)

let t: NotifyTestApp
let harness: BrowserHarness | undefined
let browser: Browser
let base: string
let confirmationCode: string
let inbox: InboxMessage[]

beforeAll(async () => {
  // the channels the embedded default builds from its config: no provider anywhere, so every message goes to the inbox
  const channels = notificationChannels(parseConfig({ NODE_ENV: 'test' }))
  expect(channels).toMatchObject({ email: [], sms: [], push: [], devInbox: true })
  t = await startNotifyApp(channels)
  const w = await makeWorld(t)
  const { bookingId, departureId } = await confirmedBooking(t, w)
  await t.drain()
  await t.runQueue() // receipt e-mail + push to the traveller, new-booking e-mail + push to the operator
  await send(t, 'POST', `/v1/operator/departures/${departureId}/cancel`, { reason: 'weather' }, w.operator.headers)
  await t.drain()
  await t.runQueue() // the critical alert: push
  t.clock.advance(t.deps.config.NOTIFY_ESCALATE_AFTER_SECONDS + 1)
  await t.runQueue() // push not confirmed delivered → escalated to SMS
  ;[{ confirmationCode }] = (await queryRows<{ confirmationCode: string }>(t.db.orm, sql`select confirmation_code as "confirmationCode" from bookings where id = ${bookingId}`)) as [
    { confirmationCode: string },
  ]
  inbox = ((await (await t.app.request('/dev/inbox.json')).json()) as { items: InboxMessage[] }).items

  harness = await serveToChromium(t.app.fetch)
  ;({ base, browser } = harness)
})

afterAll(async () => {
  await harness?.close()
  await t?.close()
})

it('the inbox holds what the real queue "sent": the receipt e-mail and push, and the alert escalated to SMS', () => {
  const kinds = inbox.map((m) => `${m.channel}:${m.kind}`)
  expect(kinds).toEqual(
    expect.arrayContaining(['email:booking_confirmed', 'push:booking_confirmed', 'push:departure_cancelled', 'sms:departure_cancelled', 'email:booking_confirmed_operator']),
  )
})

it('/dev/inbox renders the list, the e-mail inside its sandboxed iframe, SMS and push text: no console error, no CSP violation, nothing off-host', async () => {
  const context = await browser.newContext()
  const page = await context.newPage()
  const foreign: string[] = []
  const consoleErrors: string[] = []
  const pageErrors: string[] = []
  const cspIssues: unknown[] = []
  // Anything off-host is recorded and never leaves the machine.
  await context.route('**/*', (route) => {
    const url = route.request().url()
    if (url.startsWith(base) || url.startsWith('data:') || url === 'about:srcdoc') return route.continue()
    foreign.push(url)
    return route.abort()
  })
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(msg.text())
  })
  page.on('pageerror', (error) => pageErrors.push(error.message))
  // Chromium reports every CSP violation, in any frame (the srcdoc iframes inherit the page's policy), as an issue.
  const cdp = await context.newCDPSession(page)
  cdp.on('Audits.issueAdded', ({ issue }) => {
    if (issue.code === 'ContentSecurityPolicyIssue') cspIssues.push(issue.details.contentSecurityPolicyIssueDetails)
  })
  await cdp.send('Audits.enable')

  const response = await page.goto(`${base}/dev/inbox`)
  expect(response!.status()).toBe(200)
  expect(response!.headers()['content-security-policy']).toContain("default-src 'none'")
  await expect.poll(() => page.locator('article').count()).toBe(inbox.length)
  await page.getByText(`${inbox.length} message(s) stored instead of sent`).waitFor()

  // the receipt: its subject in the list, its HTML rendered inside an iframe sandboxed with nothing allowed
  const receipt = inbox.find((m) => m.channel === 'email' && m.kind === 'booking_confirmed')!
  const article = page.locator('article', { has: page.locator('h2', { hasText: receipt.subject! }) })
  await article.waitFor()
  const iframe = article.locator('iframe')
  expect(await iframe.getAttribute('sandbox')).toBe('')
  const email = article.frameLocator('iframe')
  // visible text, not the e-mail's hidden preheader
  await email.getByText(TOUR_TITLE).filter({ visible: true }).first().waitFor({ timeout: 10_000 })
  await email.getByText(confirmationCode).filter({ visible: true }).first().waitFor({ timeout: 10_000 })
  expect(await email.locator('script').count()).toBe(0)

  // the SMS and push text, as written (pre), in their own articles
  for (const message of inbox.filter((m) => m.channel !== 'email')) {
    const text = page.locator('article pre').filter({ hasText: message.text })
    expect(await text.count(), `${message.channel}:${message.kind}`).toBeGreaterThanOrEqual(1)
    await text.first().waitFor({ state: 'visible', timeout: 10_000 })
  }
  const sms = inbox.find((m) => m.channel === 'sms')!
  expect(sms.text).toContain(TOUR_TITLE.split(' ')[0])
  expect(await page.locator('article', { hasText: 'SMS' }).filter({ hasText: sms.to! }).count()).toBe(1)

  expect(foreign).toEqual([])
  expect(consoleErrors).toEqual([])
  expect(pageErrors).toEqual([])
  expect(cspIssues).toEqual([])

  // The listeners are live: an off-host image forced into the page is refused by the CSP and reported.
  await page.evaluate(`document.body.appendChild(Object.assign(document.createElement('img'), { src: 'https://tracker.example.invalid/pixel.png' }))`)
  // The report travels renderer → CDP → Playwright → here: on a loaded machine that can take past poll's default 1 s.
  await expect.poll(() => cspIssues.length, { timeout: 15_000 }).toBeGreaterThan(0)
  await context.close()
})
