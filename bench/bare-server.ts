/**
 * Benchmark child: the baseline, a bare Hono app on the same server (@hono/node-server, with npm start's write
 * coalescing: runtime/write-coalescing.node.ts; HTTP_WRITE_COALESCING=false turns it off here as there).
 *
 *   GET /hello           the baseline: a 5-byte text answer with Node's default headers
 *   GET /replay/{name}   an answer recorded from the full app (status, headers, body bytes), sent back as is with no
 *                        middleware: the same bytes on the wire, so full vs replay is the cost of KamHub's code alone
 *                        and replay vs hello the cost of the answer itself (headers and body, server and client side)
 *
 * Answers to replay arrive over IPC: { type: 'replay', name, status, headers, body (base64) } → { type: 'replaying', name }.
 *
 * It settles the timer shapes as every KamHub server does (runtime/timer-shape.node.ts), so a baseline is not
 * deoptimised mid-round where the full app would not be. And it keeps the tick object shape
 * (runtime/tick-object-shape.node.ts): without it, the first memory-reducing collection of an idle spell leaves
 * every nextTick slower for the rest of the process, and a
 * baseline that is sometimes 16–30% slower makes the full app look better than it is (a run here, as that predicts:
 * bare /hello at 17.0 µs of server CPU a paced request against 13.2 in the run before, every full/bare ratio above 0.9).
 */
import type { Server } from 'node:http'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { keepTickObjectShape } from '../src/runtime/tick-object-shape.node.ts'
import { settleTimerShape } from '../src/runtime/timer-shape.node.ts'
import { coalesceSocketWrites } from '../src/runtime/write-coalescing.node.ts'
import { configSchema } from '../src/core/config/schema.ts'
import { answerLoopStallRequests } from './loop-stalls.ts'
import { countingRequests } from './sched-sampler.ts'

keepTickObjectShape()
settleTimerShape()
answerLoopStallRequests()

interface Recorded {
  status: number
  headers: Record<string, string>
  body: Uint8Array<ArrayBuffer>
}

const recorded = new Map<string, Recorded>()
const app = new Hono()
  .get('/hello', (c) => c.text('Hello'))
  .get('/replay/:name', (c) => {
    const r = recorded.get(c.req.param('name'))
    return r ? new Response(r.body, { status: r.status, headers: r.headers }) : c.notFound()
  })
const server = serve({ fetch: countingRequests(app.fetch), port: 0, hostname: '127.0.0.1' }, (info) => process.send!({ port: info.port }))
if (configSchema.shape.HTTP_WRITE_COALESCING.parse(process.env.HTTP_WRITE_COALESCING)) coalesceSocketWrites(server as Server)

process.on('message', (m: { type: string; name: string; status: number; headers: Record<string, string>; body: string }) => {
  if (m.type !== 'replay') return
  recorded.set(m.name, { status: m.status, headers: m.headers, body: new Uint8Array(Buffer.from(m.body, 'base64')) })
  process.send!({ type: 'replaying', name: m.name })
})
process.once('SIGTERM', () => server.close(() => process.exit(0)))
