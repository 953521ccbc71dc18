/**
 * Every route's Hono environment (core/http/request-scope.ts): services, request id and logger on `c.env`
 * (`c.env.deps`, `c.env.requestId`, `c.env.logger`), the authenticated caller on `c.get('user')`.
 */
import { OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from '../core/http/request-scope.ts'
import type { MatchRecorder } from '../core/http/match-recorder.ts'
import { validationProblem } from '../core/http/validation.ts'

export type { AppEnv }

/** A router whose zod validation failures become 400 problem+json listing each field path. */
export function newRouter(router?: MatchRecorder) {
  return new OpenAPIHono<AppEnv>({
    ...(router ? { router } : {}),
    defaultHook: (result, c) => {
      if (!result.success) return validationProblem(c, result.error, result.target)
    },
  })
}
