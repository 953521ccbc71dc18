/**
 * The benchmarks measure one server at a time with the others stopped (bench/lib.ts `alone`). A neighbour left
 * stopped would turn every later figure of it into a timeout, and one left running would be the noise `alone`
 * exists to remove: both ways are checked here on real child processes.
 */
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { alone, cleanEnv, startChildServer, type ChildServer } from '../../bench/lib.ts'

let servers: ChildServer[] = []

/** The process state letter of /proc/<pid>/stat: T is stopped by a signal. */
const state = (server: ChildServer) => {
  const stat = readFileSync(`/proc/${server.child.pid}/stat`, 'utf8')
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]
}
const hello = async (server: ChildServer) => (await fetch(`http://127.0.0.1:${server.port}/hello`)).text()

beforeAll(async () => {
  servers = await Promise.all([0, 1, 2].map(() => startChildServer('./bare-server.ts', cleanEnv({ NODE_ENV: 'production' }))))
})
afterAll(() => Promise.all(servers.map((s) => s.stop())))

it('stops every other server while one is measured, and lets them all go on after', async () => {
  const [measured, ...others] = servers as [ChildServer, ChildServer, ChildServer]
  const seen = await alone(servers, measured, async () => {
    for (const other of others) await expect.poll(() => state(other), { timeout: 10_000 }).toBe('T')
    return { state: state(measured), answer: await hello(measured) }
  })
  expect(seen).toEqual({ state: expect.not.stringMatching(/^T$/), answer: 'Hello' })
  for (const server of servers) await expect.poll(() => state(server), { timeout: 10_000 }).not.toBe('T')
  expect(await Promise.all(servers.map(hello))).toEqual(['Hello', 'Hello', 'Hello'])
})

it('lets the others go on when the measurement throws', async () => {
  const [measured, ...others] = servers as [ChildServer, ChildServer, ChildServer]
  await expect(alone(servers, measured, () => Promise.reject(new Error('autocannon failed')))).rejects.toThrow('autocannon failed')
  expect(await Promise.all(others.map(hello))).toEqual(['Hello', 'Hello'])
})

it('stops a paused server (SIGTERM waits for a continue)', async () => {
  const server = await startChildServer('./bare-server.ts', cleanEnv({ NODE_ENV: 'production' }))
  server.pause()
  await expect.poll(() => state(server), { timeout: 10_000 }).toBe('T')
  await server.stop()
  expect(server.child.exitCode ?? server.child.signalCode).not.toBeNull()
})
