/** Helpers for auth tests: JSON posts, registering users, bearer headers. */
import type { TestApp } from './app.ts'
import type { Session } from '../../src/core/auth/service.ts'

export const PASSWORD = 'correct horse battery'

let counter = 0
export const uniqueEmail = (prefix = 'user') => `${prefix}-${++counter}@example.com`

export function postJson(t: TestApp, path: string, body: unknown, headers: Record<string, string> = {}) {
  return t.app.request(path, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) })
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` })

export async function registerUser(t: TestApp, input: { email?: string; password?: string; displayName?: string } = {}): Promise<Session> {
  const res = await postJson(t, '/v1/auth/register', { email: uniqueEmail(), password: PASSWORD, displayName: 'Anna', ...input })
  if (res.status !== 201) throw new Error(`register answered ${res.status}: ${await res.text()}`)
  return (await res.json()) as Session
}

export async function loginUser(t: TestApp, email: string, password = PASSWORD): Promise<Session> {
  const res = await postJson(t, '/v1/auth/login', { email, password })
  if (res.status !== 200) throw new Error(`login answered ${res.status}: ${await res.text()}`)
  return (await res.json()) as Session
}

/** A clock a test moves by hand (no sleeps). */
export function manualClock(start = new Date()) {
  let now = start.getTime()
  return {
    now: () => new Date(now),
    advance(seconds: number) {
      now += seconds * 1000
    },
  }
}
