/** The booking pillar's errors, in the one vocabulary (src/core/errors.ts). */
import { DomainError, type FieldError } from '../../core/errors.ts'

/** 404 both for a booking that does not exist and one the caller may not see: existence is not leaked. */
export const bookingNotFound = () => new DomainError('not_found', 'No such booking')
export const departureNotFound = () => new DomainError('not_found', 'No such departure')

export const soldOut = (seats: number) =>
  new DomainError('sold_out', `Not enough seats left on this departure for ${seats} ${seats === 1 ? 'traveller' : 'travellers'}`)

export function unprocessable(detail: string, errors: FieldError[] = []) {
  return new DomainError('unprocessable', detail, errors.length ? { errors } : {})
}

export function badTransition(from: string, action: string) {
  return new DomainError('conflict', `A ${from} booking cannot be ${action}`)
}
