/** The real app over a test database, with quiet logs and deps that a test can override. */
import { createApp } from '../../src/app.ts'
import { parseConfig } from '../../src/core/config/schema.ts'
import { createLogger } from '../../src/core/monitoring/logger.ts'
import { MetricsRegistry } from '../../src/core/monitoring/metrics.ts'
import { memoryRateLimiter } from '../../src/core/auth/rate-limit.ts'
import { MemoryCache } from '../../src/core/cache/memory.ts'
import { nodeDocsAssets } from '../../src/core/http/docs-assets.node.ts'
import { queryObserver } from '../../src/core/db/instrument.ts'
import { systemClock, type Deps } from '../../src/deps.ts'
import { detachedEventBus } from '../../src/events/bus.ts'
import { openTestDatabase, type TestDatabase } from './db.ts'

export interface TestApp {
  app: ReturnType<typeof createApp>
  deps: Deps
  db: TestDatabase
  close(): Promise<void>
}

export async function startTestApp(
  options: { env?: Record<string, string>; deps?: Partial<Deps> } = {},
): Promise<TestApp> {
  const config = parseConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...options.env })
  // A test that passes its own logger or metrics also sees the database's slow-query lines and query timings.
  const logger = options.deps?.logger ?? createLogger({ level: config.LOG_LEVEL })
  const metrics = options.deps?.metrics ?? new MetricsRegistry()
  const db = await openTestDatabase({ observe: queryObserver(metrics, logger, config.SLOW_QUERY_MS) })
  const deps: Deps = {
    config,
    db,
    cache: options.deps?.cache ?? new MemoryCache({ maxEntries: config.CACHE_MAX_ENTRIES, metrics }),
    logger,
    metrics,
    clock: systemClock,
    rateLimiter: memoryRateLimiter({ limit: config.AUTH_RATE_LIMIT, windowSeconds: config.AUTH_RATE_WINDOW_SECONDS }),
    docsAssets: nodeDocsAssets(),
    events: detachedEventBus,
    ...options.deps,
  }
  return { app: createApp(deps), deps, db, close: () => db.close() }
}
