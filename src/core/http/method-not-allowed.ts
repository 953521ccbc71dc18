/**
 * 405 with `Allow` when a path exists under other methods. Decided in the not-found handler, so only requests that
 * matched no route pay for it — the stock middleware ran after every request.
 */
import type { Hono } from 'hono'
import { TrieRouter } from 'hono/router/trie-router'

/** The methods `app` serves at `path` (GET implies HEAD); empty when the path is unknown. */
export function allowedMethodsFor(app: Pick<Hono, 'routes'>): (path: string) => string[] {
  let router: TrieRouter<string[]> | undefined
  return (path) => {
    router ??= buildRouter(app)
    const allowed = new Set<string>()
    for (const [methods] of router.match('ALL', path)[0]) for (const method of methods) allowed.add(method)
    return [...allowed]
  }
}

function buildRouter(app: Pick<Hono, 'routes'>): TrieRouter<string[]> {
  const byPath = new Map<string, Set<string>>()
  for (const route of app.routes) {
    if (route.method === 'ALL' || route.method === 'HEAD') continue
    const methods = byPath.get(route.path) ?? new Set<string>()
    methods.add(route.method)
    if (route.method === 'GET') methods.add('HEAD')
    byPath.set(route.path, methods)
  }
  const router = new TrieRouter<string[]>()
  for (const [path, methods] of byPath) router.add('ALL', path, [...methods])
  return router
}
