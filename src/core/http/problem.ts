/**
 * RFC 9457 problem details. Every error answer of the API has this shape, a stable `code` clients can switch on,
 * and the request id so a user's report can be matched with the logs.
 */
import { z } from '@hono/zod-openapi'
import type { ErrorCode, FieldError } from '../errors.ts'

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

export const problemSchema = z
  .object({
    type: z.string().openapi({ example: 'https://kamhub.dev/problems/not_found' }),
    title: z.string().openapi({ example: 'Not Found' }),
    status: z.number().int().openapi({ example: 404 }),
    detail: z.string().optional(),
    instance: z.string().optional(),
    code: z.string().openapi({ example: 'not_found' }),
    requestId: z.string().optional(),
    errors: z
      .array(z.object({ path: z.string(), message: z.string(), code: z.string().optional() }))
      .optional()
      .openapi({ description: 'Field-level validation errors' }),
  })
  .openapi('Problem')

export type Problem = z.infer<typeof problemSchema>

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
}

export function problemBody(input: {
  status: number
  code: ErrorCode
  detail?: string
  instance?: string
  requestId?: string
  errors?: FieldError[]
}): Problem {
  return {
    type: `https://kamhub.dev/problems/${input.code}`,
    title: TITLES[input.status] ?? 'Error',
    status: input.status,
    code: input.code,
    ...(input.detail ? { detail: input.detail } : {}),
    ...(input.instance ? { instance: input.instance } : {}),
    ...(input.requestId ? { requestId: input.requestId } : {}),
    ...(input.errors ? { errors: input.errors } : {}),
  }
}

/** The error responses every route declares in its OpenAPI contract. */
export function errorResponses(...statuses: number[]) {
  const content = { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } }
  return Object.fromEntries(statuses.map((s) => [s, { description: TITLES[s] ?? 'Error', content }]))
}

export const commonErrors = errorResponses(400, 500)
