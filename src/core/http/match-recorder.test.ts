import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { MatchRecorder } from './match-recorder.ts'
import { RequestScope } from './request-scope.ts'
import type { Deps } from '../../deps.ts'

const deps = {} as Deps

function routed(app: Hono, recorder: MatchRecorder, path: string, method = 'GET') {
  const scope = new RequestScope('r', deps)
  recorder.recordInto = scope
  const res = app.fetch(new Request(`http://localhost${path}`, { method }))
  return { scope, res }
}

describe('MatchRecorder', () => {
  it("records the routed path and the pattern of the request's handler, not its middleware's", () => {
    const recorder = new MatchRecorder()
    const app = new Hono({ router: recorder })
    app.use('/v1/*', (_c, next) => next())
    app.get('/v1/tours/:id', (c) => c.text(c.req.param('id')))
    const { scope } = routed(app, recorder, '/v1/tours/abc?lang=en')
    expect(scope.path).toBe('/v1/tours/abc')
    expect(scope.route).toBe('/v1/tours/:id')
    expect(recorder.recordInto).toBeUndefined()
  })

  it('records an empty route when nothing matched, and the GET route of a HEAD request', () => {
    const recorder = new MatchRecorder()
    const app = new Hono({ router: recorder }).get('/health/live', (c) => c.text('ok'))
    expect(routed(app, recorder, '/nowhere').scope.route).toBe('')
    expect(routed(app, recorder, '/health/live', 'HEAD').scope.route).toBe('/health/live')
  })

  it('keeps the outer request when a handler routes a nested request without a scope of its own', () => {
    const recorder = new MatchRecorder()
    const app = new Hono({ router: recorder })
    app.get('/inner', (c) => c.text('inner'))
    app.get('/outer', async (c) => c.text(await (await app.fetch(new Request('http://localhost/inner'))).text()))
    const { scope } = routed(app, recorder, '/outer')
    expect(scope.route).toBe('/outer')
  })
})
