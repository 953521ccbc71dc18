/**
 * An app served on 127.0.0.1 and Debian's headless Chromium pointed at it (never a downloaded browser): what every
 * browser check starts from.
 */
import { serve } from '@hono/node-server'
import { chromium, type Browser } from 'playwright-core'
import type { AddressInfo } from 'node:net'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export interface BrowserHarness {
  base: string
  browser: Browser
  close(): Promise<void>
}

export async function serveToChromium(fetch: (request: Request) => Response | Promise<Response>): Promise<BrowserHarness> {
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s))
  })
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  return {
    base,
    browser,
    async close() {
      await browser.close()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
