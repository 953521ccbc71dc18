/** Benchmark child: the baseline, a bare Hono app with one route on the same server (@hono/node-server). */
import { serve } from '@hono/node-server'
import { Hono } from 'hono'

const app = new Hono().get('/hello', (c) => c.text('Hello'))
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => process.send!({ port: info.port }))

process.once('SIGTERM', () => server.close(() => process.exit(0)))
