/** Helpers for catalogue tests: operator accounts with profiles, tours made through the API, JSON requests. */
import { expect } from 'vitest'
import type { TestApp } from '../../support/app.ts'
import { PASSWORD, bearer, loginUser, registerUser, uniqueEmail } from '../../support/auth.ts'
import { createUser, type Session } from '../../../src/core/auth/service.ts'
import type { Role } from '../../../src/core/auth/principal.ts'
import type { TourInput } from '../../../src/pillars/discovery/schema.ts'

export interface Actor {
  session: Session
  headers: Record<string, string>
}

export async function accountWithRole(t: TestApp, role: Role, prefix: string = role): Promise<Actor> {
  const email = uniqueEmail(prefix)
  if (role === 'traveller') {
    const session = await registerUser(t, { email })
    return { session, headers: bearer(session.tokens.accessToken) }
  }
  await createUser(t.deps, { email, password: PASSWORD, role, displayName: prefix })
  const session = await loginUser(t, email)
  return { session, headers: bearer(session.tokens.accessToken) }
}

export interface OperatorActor extends Actor {
  operatorId: string
}

let slugs = 0
export async function operatorWithProfile(t: TestApp, name = 'Kamchatka Explorer'): Promise<OperatorActor> {
  const actor = await accountWithRole(t, 'operator', 'op')
  const res = await send(t, 'POST', '/v1/operators', { name, slug: `op-${++slugs}-${Date.now().toString(36)}`, contact: { email: 'ops@example.com' } }, actor.headers)
  expect(res.status, await res.clone().text()).toBe(201)
  return { ...actor, operatorId: ((await res.json()) as { id: string }).id }
}

export function send(t: TestApp, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  return t.app.request(path, {
    method,
    headers: { ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
}

export async function json<T = Record<string, unknown>>(res: Response, status = 200): Promise<T> {
  const text = await res.text()
  expect(res.status, text).toBe(status)
  return (text ? JSON.parse(text) : undefined) as T
}

type TourOverrides = Partial<Omit<TourInput, 'content'>> & { title?: string; titleEn?: string; content?: TourInput['content'] }

/** A valid tour body: Avachinsky-like defaults, anything overridable. */
export function tourBody(overrides: TourOverrides = {}): Record<string, unknown> {
  const { title, titleEn, ...rest } = overrides
  return {
    content: {
      ru: { title: title ?? 'Восхождение на Авачинский вулкан', summary: 'Однодневное восхождение', description: 'Подъём на вершину действующего вулкана.', meetingPoint: 'Базовый лагерь' },
      en: { title: titleEn ?? 'Avachinsky volcano ascent', summary: 'A one-day climb', description: 'A climb to the crater rim of an active volcano.' },
    },
    category: 'volcano',
    difficulty: 'challenging',
    durationMinutes: 600,
    languages: ['ru', 'en'],
    meetingPoint: { lat: 53.255, lng: 158.83 },
    currency: 'RUB',
    prices: { adult: 1_500_000, child: 1_000_000 },
    ...rest,
  }
}

export interface TourRef {
  id: string
}

/** Creates (and by default publishes) a tour through the API as `actor`. */
export async function makeTour(t: TestApp, actor: Actor, overrides: TourOverrides = {}, { publish = true } = {}): Promise<TourRef> {
  const created = await json<TourRef>(await send(t, 'POST', '/v1/tours', tourBody(overrides), actor.headers), 201)
  if (publish) await json(await send(t, 'POST', `/v1/tours/${created.id}/publish`, undefined, actor.headers))
  return created
}

/** Schedules one departure `daysAhead` days from now through the API. */
export async function makeDeparture(t: TestApp, actor: Actor, tourId: string, { daysAhead = 10, capacity = 10 } = {}): Promise<{ id: string; startsAt: string }> {
  const startsAt = new Date(Date.now() + daysAhead * 86_400_000).toISOString()
  return json(await send(t, 'POST', `/v1/tours/${tourId}/departures`, { startsAt, capacity }, actor.headers), 201)
}
