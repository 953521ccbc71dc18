/**
 * A Hono router that tells the envelope where it sent a request: the path it routed and the pattern of the last
 * handler it matched (the route label of the access log and the HTTP metrics). Hono matches synchronously at the
 * start of `fetch`, so the envelope points `recordInto` at the request's scope just before calling `fetch`; only the
 * first match after that is recorded, so a nested `fetch` from a handler (which records into its own scope) cannot
 * overwrite the outer request's route.
 */
import type { Result, Router } from 'hono/router'
import type { H, RouterRoute } from 'hono/types'
import { RegExpRouter } from 'hono/router/reg-exp-router'
import { SmartRouter } from 'hono/router/smart-router'
import { TrieRouter } from 'hono/router/trie-router'
import type { RequestScope } from './request-scope.ts'

type Entry = [H, RouterRoute]

export class MatchRecorder implements Router<Entry> {
  readonly name: string
  /** Where the next match is written; cleared by that match. */
  recordInto: RequestScope | undefined

  // Hono's default router: RegExpRouter, falling back to TrieRouter for patterns it cannot compile.
  constructor(readonly inner: Router<Entry> = new SmartRouter<Entry>({ routers: [new RegExpRouter(), new TrieRouter()] })) {
    this.name = `${inner.name} (recorded)`
  }

  add(method: string, path: string, handler: Entry): void {
    this.inner.add(method, path, handler)
  }

  match(method: string, path: string): Result<Entry> {
    const result = this.inner.match(method, path)
    const scope = this.recordInto
    if (scope) {
      this.recordInto = undefined
      scope.path = path
      const handlers = result[0]
      scope.route = handlers.length ? handlers[handlers.length - 1]![0][1].path : ''
    }
    return result
  }
}
