/**
 * What a request carries through the app, as Hono's `c.env`: its id, the services (a Worker's per-request database
 * among them), a request logger made on first use, and where the router sent it.
 *
 * Why `c.env` and not `c.set(...)`: variables can only be set by a Hono middleware, and the first middleware turns
 * every request into Hono's asynchronous compose chain plus @hono/node-server's asynchronous answer path — a fifth
 * of a small answer's throughput at saturation (npm run bench). The envelope (envelope.ts) wraps the app's `fetch`
 * instead and hands the scope in as the bindings, so a route without middleware answers synchronously.
 */
import type { Deps } from '../../deps.ts'
import type { Logger } from '../monitoring/logger.ts'
import type { AuthUser } from '../auth/principal.ts'
import type { HeaderReader } from './request-headers.ts'

/** The Hono environment of every route: the scope as `c.env`, the caller once authenticated as `c.get('user')`. */
export type AppEnv = {
  Bindings: RequestScope
  Variables: { user: AuthUser }
}

export class RequestScope {
  #logger: Logger | undefined
  /** The routed path and the pattern it matched ('' until routed, or when nothing matched): see MatchRecorder. */
  path = ''
  route = ''

  constructor(
    readonly requestId: string,
    readonly deps: Deps,
    /**
     * A request header by name (any case), as `Headers.get` answers it. On the hot paths (the envelope, the cached
     * catalogue reads) use this rather than `c.req.header()`: on Node it reads the parser's raw list (see
     * request-headers.ts). A scope made without a request (a router tested alone) has none.
     */
    readonly header: HeaderReader = noHeaders,
  ) {}

  /**
   * The request's logger (every line carries the request id), made on first use: most requests log nothing but the
   * access line, and a pino child costs a redaction pass and a serialisation of its bindings.
   */
  get logger(): Logger {
    return (this.#logger ??= this.deps.logger.child({ requestId: this.requestId }))
  }
}

const noHeaders: HeaderReader = () => null
