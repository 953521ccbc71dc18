/**
 * Opaque pagination cursors: base64url of a small JSON object. Opaque so clients do not build them (the position
 * format can change); checked on the way in, so a cursor that was edited, truncated or made for another list is
 * a 400 `invalid`, never a SQL error or a silently wrong page. They are not signed: a forged but well-formed
 * cursor only names another position in a list the caller may read anyway.
 */
import { z } from 'zod'
import { DomainError } from '../core/errors.ts'

export function encodeCursor(position: Record<string, unknown>): string {
  const bytes = new TextEncoder().encode(JSON.stringify(position))
  let binary = ''
  for (const b of bytes) binary += String.fromCharCode(b)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

export function decodeCursor<S extends z.ZodType>(cursor: string, schema: S): z.output<S> {
  let json: unknown
  try {
    if (!/^[A-Za-z0-9_-]{1,1000}$/.test(cursor)) throw new Error('not base64url')
    const binary = atob(cursor.replace(/-/g, '+').replace(/_/g, '/'))
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))))
  } catch {
    throw invalidCursor()
  }
  const parsed = schema.safeParse(json)
  if (!parsed.success) throw invalidCursor()
  return parsed.data
}

/** A decimal bigint as text (seq, delivery ids, xid8): what cursors carry, since JSON numbers lose precision past 2^53. */
export const bigintText = z.string().regex(/^\d{1,20}$/)

function invalidCursor() {
  return new DomainError('invalid', 'The cursor is invalid; use the nextCursor of a previous page of this list', {
    errors: [{ path: 'query.cursor', message: 'not a cursor of this list' }],
  })
}
