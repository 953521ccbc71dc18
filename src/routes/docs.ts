/**
 * /docs: Swagger UI over /openapi.json, every asset served from this app (no CDN), so the reference renders on a
 * laptop without internet and under a strict Content-Security-Policy.
 */
import { Hono } from 'hono'
import type { AppEnv } from './env.ts'
import { DOCS_ASSETS, type DocsAssetName } from '../core/http/docs-assets.ts'

const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self' data:"

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>KamHub API reference</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/init.js"></script>
</body>
</html>`

const INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true, persistAuthorization: true });`

export const docsRoutes = new Hono<AppEnv>()
  .get('/docs', (c) => c.html(PAGE, 200, { 'Content-Security-Policy': CSP }))
  .get('/docs/assets/:name', async (c) => {
    const name = c.req.param('name')
    // Not a route of its own: a static path beside `:name` makes Hono fall back from its RegExpRouter to the slower
    // TrieRouter for every request of the app.
    if (name === 'init.js') return c.body(INIT, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'public, max-age=300' })
    if (!(name in DOCS_ASSETS)) return c.notFound()
    const body = await c.env.deps.docsAssets.get(name as DocsAssetName)
    if (body === null) return c.notFound()
    return c.body(body, 200, { 'Content-Type': DOCS_ASSETS[name as DocsAssetName], 'Cache-Control': 'public, max-age=86400' })
  })
