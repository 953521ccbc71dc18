/**
 * The Hono environment every route shares: services on `c.get('deps')`, the request id, the caller once authenticated.
 * Read them with `c.get(name)`: Hono's `c.var` builds a fresh object of every variable on each access.
 */
import { OpenAPIHono } from '@hono/zod-openapi'
import type { Deps } from '../deps.ts'
import type { Logger } from '../core/monitoring/logger.ts'
import type { AuthUser } from '../core/auth/principal.ts'
import { validationProblem } from '../core/http/validation.ts'

export type AppEnv = {
  Variables: {
    deps: Deps
    requestId: string
    logger: Logger
    user: AuthUser
  }
}

/** A router whose zod validation failures become 400 problem+json listing each field path. */
export function newRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) return validationProblem(c, result.error, result.target)
    },
  })
}
