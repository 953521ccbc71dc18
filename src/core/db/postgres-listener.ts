/**
 * LISTEN on a dedicated connection that heals itself. postgres.js' own `sql.listen` re-listens after a close but
 * silently gives up if the database is still down at that moment; a dispatcher would then wait on polling alone.
 * Here a heartbeat (`select 1` with a deadline) also catches half-open TCP connections, reconnects back off
 * exponentially with jitter under a cap, and `onListen` fires after every (re)connect so the caller can sweep
 * for whatever was notified while nobody listened.
 */
import postgres from 'postgres'

export interface ListenerOptions {
  url: string
  channel: string
  onPayload(payload: string): void
  onListen?(): void
  onError?(error: unknown): void
  heartbeatMs?: number
  reconnectBaseMs?: number
  reconnectMaxMs?: number
  applicationName?: string
}

export function startPostgresListener({
  url,
  channel,
  onPayload,
  onListen,
  onError,
  heartbeatMs = 10_000,
  reconnectBaseMs = 100,
  reconnectMaxMs = 10_000,
  applicationName = 'kamhub-listener',
}: ListenerOptions): { stop(): Promise<void>; ready: Promise<void> } {
  let client: postgres.Sql | undefined
  let stopped = false
  let failures = 0
  let heartbeat: ReturnType<typeof setInterval> | undefined
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined
  let generation = 0
  let markReady: () => void
  const ready = new Promise<void>((resolve) => (markReady = resolve))

  async function connect() {
    const mine = ++generation
    // `onnotify` is a real postgres.js option (it is how sql.listen is built) but missing from its types.
    const options = {
      max: 1,
      idle_timeout: 0,
      max_lifetime: null,
      fetch_types: false,
      connect_timeout: 5,
      onnotice: () => {},
      connection: { application_name: applicationName },
      onnotify: (ch: string, payload: string) => {
        if (ch === channel) onPayload(payload)
      },
      onclose: () => {
        if (mine === generation) reconnect(new Error('listener connection closed'))
      },
    }
    const c = postgres(url, options as postgres.Options<{}>)
    client = c
    try {
      await c.unsafe(`listen "${channel.replace(/"/g, '""')}"`)
      if (mine !== generation || stopped) return
      failures = 0
      heartbeat = setInterval(() => void beat(c, mine), heartbeatMs)
      markReady()
      onListen?.()
    } catch (error) {
      if (mine === generation) reconnect(error)
    }
  }

  async function beat(c: postgres.Sql, mine: number) {
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      await Promise.race([
        c`select 1`,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('listener heartbeat timed out')), Math.max(1000, heartbeatMs / 2))
        }),
      ])
    } catch (error) {
      if (mine === generation) reconnect(error)
    } finally {
      clearTimeout(timer)
    }
  }

  function reconnect(error: unknown) {
    if (stopped) return
    generation++ // the old connection's callbacks no longer count
    clearInterval(heartbeat)
    const old = client
    client = undefined
    void old?.end({ timeout: 0 }).catch(() => {})
    onError?.(error)
    failures++
    const ceiling = Math.min(reconnectMaxMs, reconnectBaseMs * 2 ** Math.min(failures - 1, 20))
    // Whole milliseconds: a fractional timer delay changes Node's timer hidden classes (runtime/timer-shape.node.ts).
    const delay = Math.round(ceiling / 2 + Math.random() * (ceiling / 2))
    clearTimeout(reconnectTimer)
    reconnectTimer = setTimeout(() => void connect(), delay)
  }

  void connect()

  return {
    ready,
    async stop() {
      stopped = true
      generation++
      clearInterval(heartbeat)
      clearTimeout(reconnectTimer)
      await client?.end({ timeout: 1 }).catch(() => {})
    },
  }
}
