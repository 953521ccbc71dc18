import { describe, expect, it } from 'vitest'
import { MetricsRegistry } from './metrics.ts'
import { registerProcessMetrics } from './process.ts'

/** The sample lines of one metric family, without HELP/TYPE. */
function samples(text: string, name: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(name) && !l.startsWith('#'))
}

describe('Prometheus text format', () => {
  it('gives every family one HELP and one TYPE line before its samples, and ends with a newline', () => {
    const m = new MetricsRegistry()
    m.counter('jobs_total', 'Jobs done').inc({ kind: 'a' })
    m.gauge('queue_depth', 'Jobs waiting').set(3)
    const text = m.render()
    expect(text).toBe(
      ['# HELP jobs_total Jobs done', '# TYPE jobs_total counter', 'jobs_total{kind="a"} 1', '# HELP queue_depth Jobs waiting', '# TYPE queue_depth gauge', 'queue_depth 3', ''].join('\n'),
    )
  })

  it('escapes backslash, quote and newline in label values, and backslash and newline in HELP', () => {
    const m = new MetricsRegistry()
    m.counter('odd_total', 'Line one\nback\\slash "quoted"').inc({ path: 'a\\b"c\nd' })
    const text = m.render()
    expect(text).toContain('# HELP odd_total Line one\\nback\\\\slash "quoted"\n')
    expect(text).toContain('odd_total{path="a\\\\b\\"c\\nd"} 1\n')
  })

  it('renders histogram buckets cumulatively, with +Inf equal to _count, then _sum and _count', () => {
    const m = new MetricsRegistry()
    const h = m.histogram('work_seconds', 'Work time', [0.1, 0.5, 1])
    for (const v of [0.05, 0.1, 0.3, 0.7, 3]) h.observe(v, { job: 'x' })
    expect(samples(m.render(), 'work_seconds')).toEqual([
      'work_seconds_bucket{job="x",le="0.1"} 2', // 0.1 itself belongs to le="0.1": buckets are "less than or equal"
      'work_seconds_bucket{job="x",le="0.5"} 3',
      'work_seconds_bucket{job="x",le="1"} 4',
      'work_seconds_bucket{job="x",le="+Inf"} 5',
      'work_seconds_sum{job="x"} 4.15',
      'work_seconds_count{job="x"} 5',
    ])
  })

  it('counts a histogram\'s observations per series and across them', () => {
    const h = new MetricsRegistry().histogram('db_seconds', 'Statements')
    expect(h.totalCount()).toBe(0)
    for (const operation of ['select', 'select', 'update']) h.observe(0.001, { operation })
    expect(h.count({ operation: 'select' })).toBe(2)
    expect(h.totalCount()).toBe(3)
  })

  it('writes infinite values as +Inf / -Inf, never as JavaScript Infinity', () => {
    const m = new MetricsRegistry()
    const g = m.gauge('edge', 'Edge values')
    g.set(Infinity, { side: 'up' })
    g.set(-Infinity, { side: 'down' })
    expect(samples(m.render(), 'edge')).toEqual(['edge{side="up"} +Inf', 'edge{side="down"} -Inf'])
  })

  it('treats label sets as one series whatever order the names come in', () => {
    const m = new MetricsRegistry()
    const c = m.counter('hits_total', 'Hits')
    c.inc({ b: '2', a: '1' })
    c.inc({ a: '1', b: '2' })
    expect(c.get({ a: '1', b: '2' })).toBe(2)
    expect(samples(m.render(), 'hits_total')).toHaveLength(1)
  })

  it('keeps label values with separators apart (no key collisions)', () => {
    const c = new MetricsRegistry().counter('sep_total', 'Separators')
    c.inc({ a: 'x,b=y' })
    c.inc({ a: 'x', b: 'y' })
    expect(c.get({ a: 'x,b=y' })).toBe(1)
    expect(c.get({ a: 'x', b: 'y' })).toBe(1)
  })

  it('does not let a caller change a series by mutating its labels object afterwards', () => {
    const m = new MetricsRegistry()
    const labels: Record<string, string> = { route: '/a' }
    m.counter('mut_total', 'Mutation').inc(labels)
    labels.route = '/b'
    expect(m.render()).toContain('mut_total{route="/a"} 1')
  })
})

describe('registry rules', () => {
  it('returns the same metric for the same name, and refuses the name under another type', () => {
    const m = new MetricsRegistry()
    expect(m.counter('x_total', 'X')).toBe(m.counter('x_total', 'X'))
    expect(() => m.gauge('x_total', 'X')).toThrow(/already registered as a counter/)
  })

  it('refuses invalid metric and label names and a counter going down', () => {
    const m = new MetricsRegistry()
    expect(() => m.counter('bad-name', 'X')).toThrow(/Invalid metric name/)
    expect(() => m.counter('ok_total', 'X').inc({ 'bad-label': 1 })).toThrow(/Invalid label name/)
    expect(() => m.counter('ok_total', 'X').inc({}, -1)).toThrow(/only goes up/)
  })

  it('refreshes beforeScrape values when asked; a failing or hanging refresher keeps its last value, a removed one stops', async () => {
    const m = new MetricsRegistry()
    const age = m.gauge('backlog_age_seconds', 'Age')
    const broken = m.gauge('broken_value', 'Broken')
    let calls = 0
    const remove = m.beforeScrape(async () => age.set(++calls * 10))
    m.beforeScrape(async () => {
      throw new Error('database down')
    })
    broken.set(3)
    m.beforeScrape(() => new Promise<void>(() => {})) // never settles
    await m.refresh(20)
    expect(m.render()).toContain('backlog_age_seconds 10\n')
    expect(m.render()).toContain('broken_value 3\n')
    expect(m.render()).toContain('backlog_age_seconds 10\n') // rendering alone does not query
    remove()
    await m.refresh(20)
    expect(calls).toBe(1)
  })

  it('runs gauge collectors at scrape time and survives one that throws', () => {
    const m = new MetricsRegistry()
    const g = m.gauge('pool_size', 'Pool size')
    let size = 1
    g.collect(() => g.set(size))
    g.collect(() => {
      throw new Error('broken collector')
    })
    size = 7
    expect(m.render()).toContain('pool_size 7\n')
  })

  it('exposes process uptime and start time, registered once however often it is asked', () => {
    const m = new MetricsRegistry()
    registerProcessMetrics(m)
    registerProcessMetrics(m)
    const text = m.render()
    expect(samples(text, 'process_uptime_seconds')).toHaveLength(1)
    expect(Number(samples(text, 'process_uptime_seconds')[0]!.split(' ')[1])).toBeGreaterThan(0)
    expect(Number(samples(text, 'process_start_time_seconds')[0]!.split(' ')[1])).toBeGreaterThan(1.7e9)
  })
  it('observes through a series handle into the same series as labelled observe, and counts it as a counter view', () => {
    const m = new MetricsRegistry()
    const h = m.histogram('req_seconds', 'Latency', [0.1, 1])
    m.countOf('req_total', 'Requests', h)
    const handle = h.child({ route: '/a', status: 200 })
    handle.observe(0.05)
    handle.observe(0.5)
    h.observe(2, { status: 200, route: '/a' })
    h.observe(0.05, { route: '/b', status: 404 })
    const text = m.render()
    expect(text).toContain('# TYPE req_total counter\n')
    expect(samples(text, 'req_total{route="/a",status="200"}')).toEqual(['req_total{route="/a",status="200"} 3'])
    expect(samples(text, 'req_total{route="/b",status="404"}')).toEqual(['req_total{route="/b",status="404"} 1'])
    expect(samples(text, 'req_seconds_bucket{route="/a",status="200",le="1"}')).toEqual(['req_seconds_bucket{route="/a",status="200",le="1"} 2'])
    expect(h.count({ route: '/a', status: 200 })).toBe(3)
  })
})
