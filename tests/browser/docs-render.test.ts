/**
 * /docs renders in a real browser (Debian's headless Chromium, never a downloaded one) with every asset served by
 * the app itself: the page works offline and under its Content-Security-Policy.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { serveToChromium, type BrowserHarness } from '../support/browser.ts'
import { startTestApp, type TestApp } from '../support/app.ts'

let t: TestApp
let harness: BrowserHarness | undefined
let browser: Browser
let base: string

beforeAll(async () => {
  t = await startTestApp()
  harness = await serveToChromium(t.app.fetch)
  ;({ base, browser } = harness)
})

afterAll(async () => {
  await harness?.close()
  await t?.close()
})

it('the API reference renders the operations without leaving localhost', async () => {
  const page = await browser.newPage()
  const foreign: string[] = []
  const consoleErrors: string[] = []
  page.on('request', (req) => {
    if (!req.url().startsWith(base) && !req.url().startsWith('data:')) foreign.push(req.url())
  })
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(msg.text())
  })
  await page.goto(`${base}/docs`)
  await page.getByText('KamHub API', { exact: false }).first().waitFor({ timeout: 20_000 })
  await page.locator('.opblock-summary-path', { hasText: '/health/ready' }).first().waitFor({ timeout: 20_000 })
  expect(foreign).toEqual([])
  expect(consoleErrors.filter((e) => /Content Security Policy|Refused/i.test(e))).toEqual([])
  await page.close()
})
