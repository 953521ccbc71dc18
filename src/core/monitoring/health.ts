/**
 * Readiness: each dependency's status and latency. A required dependency that is down makes the answer 503
 * (the load balancer stops routing here); an optional one that is down only makes it "degraded".
 */
import { redactString } from './redact.ts'

export interface HealthCheck {
  name: string
  required: boolean
  check(): Promise<void>
  /** A check slower than this counts as down: a database that answers in 10 s is not ready. */
  timeoutMs?: number
}

export type DependencyStatus = { status: 'up' | 'down'; required: boolean; latencyMs: number; error?: string }

export interface Readiness {
  status: 'ok' | 'degraded' | 'down'
  checks: Record<string, DependencyStatus>
}

export async function checkReadiness(checks: HealthCheck[]): Promise<Readiness> {
  const results = await Promise.all(checks.map(runCheck))
  const entries = Object.fromEntries(checks.map((c, i) => [c.name, results[i]!]))
  const requiredDown = results.some((r) => r.required && r.status === 'down')
  const anyDown = results.some((r) => r.status === 'down')
  return { status: requiredDown ? 'down' : anyDown ? 'degraded' : 'ok', checks: entries }
}

async function runCheck({ check, required, timeoutMs = 2000 }: HealthCheck): Promise<DependencyStatus> {
  const startedAt = performance.now()
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
      }),
    ])
    return { status: 'up', required, latencyMs: elapsed(startedAt) }
  } catch (error) {
    // The message only, redacted: a connection error can embed a URL, and URLs can carry passwords.
    const message = redactString(String((error as Error)?.message ?? error))
    return { status: 'down', required, latencyMs: elapsed(startedAt), error: message.slice(0, 200) }
  } finally {
    clearTimeout(timer)
  }
}

function elapsed(startedAt: number) {
  return Math.round((performance.now() - startedAt) * 100) / 100
}
