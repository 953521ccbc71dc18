/**
 * /docs renders in a real browser (Debian's headless Chromium, never a downloaded one) with every asset served by
 * the app itself: the page works offline and under its Content-Security-Policy.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { serve, type ServerType } from '@hono/node-server'
import { chromium, type Browser } from 'playwright-core'
import type { AddressInfo } from 'node:net'
import { startTestApp, type TestApp } from '../support/app.ts'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

let t: TestApp
let server: ServerType
let browser: Browser
let base: string

beforeAll(async () => {
  t = await startTestApp()
  await new Promise<void>((resolve) => {
    server = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve())
  })
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
})

afterAll(async () => {
  await browser?.close()
  await new Promise((resolve) => server?.close(resolve))
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
