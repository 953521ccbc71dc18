import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { stream } from 'hono/streaming'
import { afterEach, describe, expect, it } from 'vitest'
import { envelope, isDocument, prepareFixedHeaders, type FixedHeaders } from '../core/http/envelope.ts'
import { MatchRecorder } from '../core/http/match-recorder.ts'
import { createLogger } from '../core/monitoring/logger.ts'
import { MetricsRegistry } from '../core/monitoring/metrics.ts'
import type { Deps } from '../deps.ts'
import { nodeResponseHeaders } from './node-response-headers.ts'
import { nodeRawHeaders } from './node-request-headers.ts'
import type { AppEnv } from '../core/http/request-scope.ts'
import { request as httpRequest } from 'node:http'

const FIXED_HEADERS = { 'X-Frame-Options': 'SAMEORIGIN', 'X-Content-Type-Options': 'nosniff' }
const DOCUMENT_HEADERS = { 'Referrer-Policy': 'no-referrer', 'Cross-Origin-Opener-Policy': 'same-origin' }
const closers: Array<() => Promise<void>> = []
// What nodeRawHeaders answered for each request: the envelope read these, not the Fetch API Headers.
const rawLists: Array<readonly string[] | undefined> = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
  rawLists.length = 0
})

/** A real Node server running the envelope with the Node sink and raw request headers, as `npm start` does. */
async function serveApp(app: Hono<AppEnv> | Hono): Promise<string> {
  const deps = { metrics: new MetricsRegistry(), logger: createLogger({ level: 'silent' }) } as unknown as Deps
  const routes = new MatchRecorder()
  const root = new Hono<AppEnv>({ router: routes }).route('/', app as Hono<AppEnv>)
  const fetch = envelope(root.fetch, {
    deps,
    routes,
    headers: FIXED_HEADERS,
    documentHeaders: DOCUMENT_HEADERS,
    secureTransportHeaders: { 'Strict-Transport-Security': 'max-age=60' },
    timeoutMs: 5_000,
    headerSink: nodeResponseHeaders,
    rawHeaders: (runtime) => {
      const raw = nodeRawHeaders(runtime)
      rawLists.push(raw)
      return raw
    },
  })
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s))
  })
  closers.push(() => new Promise((resolve) => server.close(() => resolve())))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** A GET with header lines sent exactly as given (repeated names stay separate lines on the wire). */
function rawGet(url: string, headers: Array<[string, string]>): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'GET' }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }))
    })
    const byName = new Map<string, string[]>()
    for (const [name, value] of headers) byName.set(name, [...(byName.get(name) ?? []), value])
    for (const [name, values] of byName) req.setHeader(name, values.length === 1 ? values[0]! : values)
    req.on('error', reject)
    req.end()
  })
}

describe('the Node request headers', () => {
  it("are read from the parser's raw list: the request id, the proxy's protocol, a route's header, a repeated one joined", async () => {
    const base = await serveApp(
      new Hono<AppEnv>().get('/echo', (c) => c.json({ language: c.env.header('accept-language'), encodings: c.env.header('Accept-Encoding'), absent: c.env.header('If-None-Match') })),
    )
    const res = await rawGet(`${base}/echo`, [
      ['x-request-id', 'trace-raw'],
      ['X-Forwarded-Proto', 'https'],
      ['Accept-Language', 'en'],
      ['Accept-Encoding', 'gzip'],
      ['Accept-Encoding', 'br'],
    ])
    expect(res.status).toBe(200)
    expect(JSON.parse(res.body)).toEqual({ language: 'en', encodings: 'gzip, br', absent: null })
    // Read from the parser's list (both Accept-Encoding lines in it), not from a fallback that answers the same.
    expect(rawLists).toHaveLength(1)
    expect(rawLists[0]?.filter((name) => name.toLowerCase() === 'accept-encoding')).toHaveLength(2)
    expect(res.headers['x-request-id']).toBe('trace-raw')
    expect(res.headers['strict-transport-security']).toBe('max-age=60')
  })

  it('a plain-HTTP request gets no HSTS, and an unsafe request id is replaced', async () => {
    const base = await serveApp(new Hono<AppEnv>().get('/plain', (c) => c.text('ok')))
    const res = await rawGet(`${base}/plain`, [['X-Request-Id', 'bad id with spaces']])
    expect(res.headers['strict-transport-security']).toBeUndefined()
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
  })
})

describe('the Node response-header sink', () => {
  it('adds the fixed headers and the request id to a plain JSON answer, once each', async () => {
    const base = await serveApp(new Hono().get('/plain', (c) => c.json({ ok: true })))
    const res = await fetch(`${base}/plain`, { headers: { 'X-Request-Id': 'trace-1' } })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ok: true })
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('x-request-id')).toBe('trace-1')
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    // Data, not a document: none of the headers that only act on a rendered page.
    expect(res.headers.get('referrer-policy')).toBeNull()
    expect(res.headers.get('cross-origin-opener-policy')).toBeNull()
  })

  it('adds the document headers to an HTML answer, leaving one the page sets itself', async () => {
    const base = await serveApp(
      new Hono()
        .get('/page', (c) => c.html('<p>hi</p>'))
        .get('/own', (c) => c.html('<p>hi</p>', 200, { 'referrer-policy': 'same-origin' }))
        .get('/upper', (c) => c.body('<p>hi</p>', 200, { 'Content-Type': 'TEXT/HTML' })),
    )
    const page = await fetch(`${base}/page`)
    expect([page.headers.get('referrer-policy'), page.headers.get('cross-origin-opener-policy')]).toEqual(['no-referrer', 'same-origin'])
    expect(page.headers.get('x-frame-options')).toBe('SAMEORIGIN')
    const own = await fetch(`${base}/own`)
    expect([own.headers.get('referrer-policy'), own.headers.get('cross-origin-opener-policy')]).toEqual(['same-origin', 'same-origin'])
    expect((await fetch(`${base}/upper`)).headers.get('referrer-policy')).toBe('no-referrer')
  })

  it("leaves a fixed header to the answer that sets its own, whatever the name's case", async () => {
    const base = await serveApp(
      new Hono().get('/own', (c) => {
        c.header('x-frame-options', 'DENY')
        c.header('ETag', '"v1"')
        return c.json({ ok: true })
      }),
    )
    const res = await fetch(`${base}/own`)
    expect(res.headers.get('x-frame-options')).toBe('DENY')
    expect(res.headers.get('etag')).toBe('"v1"')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('carries the headers on a streamed answer', async () => {
    const base = await serveApp(new Hono().get('/stream', (c) => stream(c, async (s) => {
          await s.write('chunk')
        })))
    const res = await fetch(`${base}/stream`)
    expect(await res.text()).toBe('chunk')
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN')
    expect(res.headers.get('x-request-id')).toBeTruthy()
  })

  describe('every writeHead form Node accepts', () => {
    const fixed: FixedHeaders = prepareFixedHeaders({ 'X-Frame-Options': 'SAMEORIGIN' }, { 'Referrer-Policy': 'no-referrer' })
    async function answer(write: (res: ServerResponse) => void): Promise<Response> {
      const server = createServer((_req: IncomingMessage, res: ServerResponse) => {
        expect(nodeResponseHeaders({ outgoing: res }, fixed, 'id-1')).toBe(true)
        write(res)
      })
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      closers.push(() => new Promise((resolve) => server.close(() => resolve())))
      return fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
    }

    it('status only', async () => {
      const res = await answer((res) => res.writeHead(204).end())
      expect([res.status, res.headers.get('x-frame-options'), res.headers.get('x-request-id')]).toEqual([204, 'SAMEORIGIN', 'id-1'])
    })
    it('status and reason phrase', async () => {
      const res = await answer((res) => res.writeHead(200, 'Fine').end('x'))
      expect([res.statusText, res.headers.get('x-frame-options')]).toEqual(['Fine', 'SAMEORIGIN'])
    })
    it('status, reason phrase and headers', async () => {
      const res = await answer((res) => res.writeHead(200, 'Fine', { 'X-Request-Id': 'own' }).end('x'))
      expect([res.headers.get('x-request-id'), res.headers.get('x-frame-options')]).toEqual(['own', 'SAMEORIGIN'])
    })
    it('a raw header list', async () => {
      const res = await answer((res) => res.writeHead(200, ['X-Frame-Options', 'DENY', 'Content-Type', 'text/plain']).end('x'))
      expect([res.headers.get('x-frame-options'), res.headers.get('x-request-id'), res.headers.get('referrer-policy')]).toEqual(['DENY', 'id-1', null])
    })
    it('a raw header list of an HTML answer', async () => {
      const res = await answer((res) => res.writeHead(200, ['Content-Type', 'text/html; charset=utf-8']).end('<p>x</p>'))
      expect([res.headers.get('x-frame-options'), res.headers.get('referrer-policy')]).toEqual(['SAMEORIGIN', 'no-referrer'])
    })
    it('an HTML Content-Type set before a writeHead that does not repeat it', async () => {
      const res = await answer((res) => {
        res.setHeader('Content-Type', 'text/html')
        res.writeHead(200).end('<p>x</p>')
      })
      expect([res.headers.get('content-type'), res.headers.get('referrer-policy')]).toEqual(['text/html', 'no-referrer'])
    })
  })
})

describe('fixed header names', () => {
  it('are found in any spelling, also past the bound of remembered spellings', () => {
    const fixed = prepareFixedHeaders({ 'X-Frame-Options': 'SAMEORIGIN' })
    for (let i = 0; i < 300; i++) expect(fixed.bitOfSpelling(`X-Other-${i}`)).toBe(0)
    expect(fixed.bitOfSpelling('x-FRAME-options')).toBe(1)
    expect(fixed.bitOfSpelling('x-frame-options')).toBe(1)
    expect(fixed.bitOfSpelling('X-Request-ID')).toBe(fixed.requestIdBit)
    expect(fixed.bitOfSpelling('content-TYPE')).toBe(fixed.contentTypeBit)
  })

  it('give each header its own bit, the document ones after the others', () => {
    const fixed = prepareFixedHeaders({ 'X-Frame-Options': 'DENY', 'X-Content-Type-Options': 'nosniff' }, { 'Referrer-Policy': 'no-referrer' })
    const bits = ['x-frame-options', 'x-content-type-options', 'referrer-policy', 'x-request-id', 'content-type'].map((name) => fixed.bitOfSpelling(name))
    expect(bits).toEqual([1, 2, 4, fixed.requestIdBit, fixed.contentTypeBit])
    expect(new Set(bits).size).toBe(5)
  })

  it('refuse a header named twice, in the common and the document set', () => {
    expect(() => prepareFixedHeaders({ 'Referrer-Policy': 'no-referrer' }, { 'referrer-policy': 'same-origin' })).toThrow(/named twice/)
    // Names the envelope keeps bits of its own for.
    expect(() => prepareFixedHeaders({ 'content-type': 'text/plain' })).toThrow(/Content-Type/)
    expect(() => prepareFixedHeaders({}, { 'X-Request-Id': 'fixed' })).toThrow(/X-Request-Id/)
  })
})

describe('isDocument', () => {
  it('knows an HTML media type, with parameters and in any case, and nothing else', () => {
    for (const type of ['text/html', 'text/html; charset=UTF-8', 'TEXT/HTML', ' text/html ;charset=utf-8']) expect([type, isDocument(type)]).toEqual([type, true])
    for (const type of ['application/json', 'text/htmlx', 'text/plain', 'application/xhtml', '', undefined, 5]) expect([type, isDocument(type)]).toEqual([type, false])
  })
})
