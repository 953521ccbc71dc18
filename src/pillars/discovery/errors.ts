/** The discovery pillar's errors, in the one vocabulary (src/core/errors.ts): each names the field or state at fault. */
import { DomainError } from '../../core/errors.ts'

export const tourNotFound = () => new DomainError('not_found', 'No such tour')
export const departureNotFound = () => new DomainError('not_found', 'No such departure')
export const operatorNotFound = () => new DomainError('not_found', 'No such operator')

export const notYourTour = () => new DomainError('forbidden', 'Operators manage only their own tours and departures')

export const noOperatorProfile = () =>
  new DomainError('conflict', 'Create your operator profile first (POST /v1/operators)')

export function invalidField(path: string, message: string) {
  return new DomainError('invalid', `${path}: ${message}`, { errors: [{ path, message }] })
}

export function badTransition(from: string, action: string) {
  return new DomainError('conflict', `A ${from} tour cannot be ${action}`)
}
