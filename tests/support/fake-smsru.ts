/**
 * A local SMS.ru for the adapter tests: `POST /sms/send` with a form (`api_id`, `to`, `msg`, `json=1`), answering
 * SMS.ru's JSON: 200 for a bad api_id, per-number 202 for a number that is not 11–15 digits, otherwise OK with an
 * `sms_id`. `nextStatus` forces the top-level status code of the next answer (201 no balance, 231 repeat limit…).
 */
import { randomInt } from 'node:crypto'
import { startFakeEndpoint, type FakeEndpoint } from './fake-endpoint.ts'

export interface FakeSmsRu extends FakeEndpoint {
  apiId: string
  nextStatus: number | undefined
}

export async function startFakeSmsRu(): Promise<FakeSmsRu> {
  const apiId = 'F2D79B58-A5A2-2F9E-91C8-000000000000'
  const fake: FakeSmsRu = Object.assign(
    await startFakeEndpoint((request) => {
      const form = new URLSearchParams(request.rawBody)
      if (request.path !== '/sms/send') return { status: 404, body: 'not found' }
      if (form.get('api_id') !== apiId) return { status: 200, body: { status: 'ERROR', status_code: 200, status_text: 'Неправильный api_id' } }
      if (fake.nextStatus !== undefined) {
        const code = fake.nextStatus
        fake.nextStatus = undefined
        return { status: 200, body: { status: 'ERROR', status_code: code, status_text: 'injected' } }
      }
      const to = form.get('to') ?? ''
      const sms = /^\d{11,15}$/.test(to)
        ? { status: 'OK', status_code: 100, sms_id: `000000-${randomInt(10_000_000, 99_999_999)}` }
        : { status: 'ERROR', status_code: 202, status_text: 'Неправильно указан номер телефона получателя' }
      return { status: 200, body: { status: 'OK', status_code: 100, sms: { [to]: sms }, balance: 4122.56 } }
    }),
    { apiId, nextStatus: undefined as number | undefined },
  )
  return fake
}
