/** zod failures → 400 problem+json with one entry per failing field, e.g. `body.party.adults`. */
import type { Context } from 'hono'
import type { ZodError } from 'zod'
import type { FieldError } from '../errors.ts'
import { PROBLEM_CONTENT_TYPE, problemBody } from './problem.ts'

export function fieldErrors(error: ZodError, target?: string): FieldError[] {
  return error.issues.map((issue) => ({
    path: [target, ...issue.path.map(String)].filter(Boolean).join('.') || '(root)',
    message: issue.message,
    code: issue.code,
  }))
}

export function validationProblem(c: Context, error: ZodError, target?: string) {
  const errors = fieldErrors(error, target)
  const body = problemBody({
    status: 400,
    code: 'invalid',
    detail: `The request is invalid: ${errors.map((e) => e.path).join(', ')}`,
    instance: c.req.path,
    requestId: c.env.requestId,
    errors,
  })
  return c.body(JSON.stringify(body), 400, { 'Content-Type': PROBLEM_CONTENT_TYPE })
}
