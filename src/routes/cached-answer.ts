/**
 * How a cached catalogue answer goes out: its stored JSON text as is (UTF-8 bytes made once per cached value),
 * gzipped once per cached value for clients that accept it, with an ETag per representation, Cache-Control and
 * Vary, or 304 when the client already holds it.
 */
import type { Context } from 'hono'
import type { AppEnv } from '../core/http/request-scope.ts'
import type { Cached } from '../pillars/discovery/cache.ts'
import type { ContentLanguage } from '../pillars/discovery/schema.ts'

// Only workerd has an execution context; asking Hono for it elsewhere throws (an Error per request).
const ON_WORKERS = (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent === 'Cloudflare-Workers'

/** Keeps a background cache refresh alive on Workers; nothing to do on Node and Deno. */
export function waitUntilOf(c: Context): ((p: Promise<unknown>) => void) | undefined {
  if (!ON_WORKERS) return undefined
  try {
    const ctx = c.executionCtx
    return ctx.waitUntil.bind(ctx)
  } catch {
    return undefined
  }
}

/**
 * A cached catalogue answer: its stored JSON text as is — gzipped, once per cached value, for a client that accepts
 * gzip — or 304 when the client holds the same ETag. Mobile HTTP stacks always accept gzip, and a tour answer shrinks
 * to about a third. Not on Workers: Cloudflare compresses at its edge, and would compress again what it is handed.
 */
export function cachedResponse(c: Context<AppEnv>, cached: Cached<unknown>, lang?: ContentLanguage): Response | Promise<Response> {
  const compressible = !ON_WORKERS && cached.body.length >= GZIP_MIN_CHARS
  const gzip = compressible && acceptsGzip(c.env.header('Accept-Encoding'))
  // Each encoding is its own representation with its own strong validator (RFC 9110 §8.8.3).
  const etag = gzip ? gzipETag(cached.etag) : cached.etag
  const headers = cacheHeaders(etag, lang, compressible)
  if (notModifiedSince(c, etag)) return c.body(null, 304, headers)
  // A Response with a plain header object: c.body() turns several headers into a Fetch API Headers, which Node's
  // adapter then converts back; the plain object goes to Node's writeHead as it is. Headers other middleware set on
  // the context are still merged into it by Hono.
  headers['Content-Type'] = 'application/json'
  if (!gzip) return new Response(utf8Of(cached), { status: 200, headers })
  headers['Content-Encoding'] = 'gzip'
  // Synchronous once this value has been compressed: only the first gzip answers of a cached value wait.
  const bytes = gzipOf(cached)
  if (bytes instanceof Uint8Array) return new Response(bytes, { status: 200, headers })
  return bytes.then((done) => new Response(done, { status: 200, headers }))
}

/** Below this a gzip header and checksum win little over the text itself. */
const GZIP_MIN_CHARS = 1024

/**
 * `"tag"` → `"tag-gzip"`, as Apache names its compressed variants (a weak tag keeps its `W/`). Sliced rather than
 * replaced with a pattern: it runs on every gzip answer.
 */
export const gzipETag = (etag: string): string => (etag.endsWith('"') ? `${etag.slice(0, -1)}-gzip"` : etag)

/**
 * Accept-Encoding values repeat (each HTTP stack sends its own constant one), and parsing one splits and trims it into
 * a handful of strings: the answer is remembered per value, in a bounded map.
 */
const gzipByHeader = new Map<string, boolean>()
const GZIP_BY_HEADER_MAX = 256

/** RFC 9110 §12.5.3 Accept-Encoding: gzip (or x-gzip, or `*`) with a q-value above 0, unless named with q=0. */
export function acceptsGzip(header: string | null | undefined): boolean {
  if (!header) return false
  let accepts = gzipByHeader.get(header)
  if (accepts === undefined) {
    accepts = parseAcceptsGzip(header)
    if (gzipByHeader.size >= GZIP_BY_HEADER_MAX) gzipByHeader.clear()
    gzipByHeader.set(header, accepts)
  }
  return accepts
}

function parseAcceptsGzip(header: string): boolean {
  let gzip: number | undefined
  let any: number | undefined
  for (const item of header.split(',')) {
    const [coding, ...params] = item.split(';')
    const name = coding!.trim().toLowerCase()
    const qParam = params.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith('q='))
    const q = qParam === undefined ? 1 : Number(qParam.slice(2))
    if (Number.isNaN(q)) continue
    if (name === 'gzip' || name === 'x-gzip') gzip = Math.max(gzip ?? 0, q)
    else if (name === '*') any = q
  }
  return (gzip ?? any ?? 0) > 0
}

/**
 * A cached answer's bytes, encoded once per cached value. Cache hits share one frozen value (the Cache port), so
 * later hits send the same bytes: a Cyrillic answer is two-byte text, and UTF-8 encoding it (once to measure the
 * length, once to write) was the largest cost of a hit after the JSON parse. A body's bytes are copied into each
 * Response, never handed over, so sharing them is safe.
 */
const encoded = new WeakMap<Cached<unknown>, Uint8Array<ArrayBuffer>>()
const encoder = new TextEncoder()
function utf8Of(cached: Cached<unknown>): Uint8Array<ArrayBuffer> {
  let bytes = encoded.get(cached)
  if (!bytes) encoded.set(cached, (bytes = encoder.encode(cached.body)))
  return bytes
}

type Gzipped = Uint8Array<ArrayBuffer> | Promise<Uint8Array<ArrayBuffer>>
const gzipped = new WeakMap<Cached<unknown>, Gzipped>()

/**
 * The same bytes gzipped, also once per cached value (concurrent first hits share one compression): the compression
 * under way, replaced by its bytes once done, so later hits answer without a promise. A compression that fails is
 * forgotten, so the next hit tries again instead of failing for the life of the cached value.
 */
function gzipOf(cached: Cached<unknown>): Gzipped {
  let bytes = gzipped.get(cached)
  if (!bytes) {
    const compressing = gzip(utf8Of(cached))
    gzipped.set(cached, (bytes = compressing))
    compressing.then(
      (done) => gzipped.set(cached, done),
      () => gzipped.delete(cached),
    )
  }
  return bytes
}

async function gzip(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const reader = new Blob([bytes]).stream().pipeThrough(new CompressionStream('gzip')).getReader()
  const chunks: Uint8Array<ArrayBuffer>[] = []
  for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value as Uint8Array<ArrayBuffer>)
  return new Uint8Array(await new Blob(chunks).arrayBuffer())
}

// Browsers and CDNs may keep a catalogue answer briefly; they revalidate with If-None-Match after that.
const CACHE_CONTROL = 'public, max-age=10, stale-while-revalidate=30'

/** Headers of a cached catalogue answer; `compressible`: its encoding depends on Accept-Encoding. */
export function cacheHeaders(etag: string, lang?: ContentLanguage, compressible = false): Record<string, string> {
  const headers: Record<string, string> = {
    ETag: etag,
    'Cache-Control': CACHE_CONTROL,
    Vary: compressible ? 'Accept-Language, Accept-Encoding' : 'Accept-Language',
  }
  if (lang) headers['Content-Language'] = lang
  return headers
}

/** RFC 9110 If-None-Match: a list of entity tags or `*`, compared weakly. */
export function notModifiedSince(c: Context<AppEnv>, etag: string): boolean {
  const header = c.env.header('If-None-Match')
  if (!header) return false
  if (header.trim() === '*') return true
  const strip = (t: string) => t.trim().replace(/^W\//, '')
  return header.split(',').some((t) => strip(t) === strip(etag))
}
