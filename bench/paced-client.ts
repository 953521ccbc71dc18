/**
 * Benchmark child: the paced load generator (paced-load.ts) in a process of its own, with npm start's Node flags.
 *
 * Why not in the benchmark's own process: what a paced round measures includes the client's own pauses — an answer
 * that arrives while the client is in a scavenge or busy with other answers is timed late. The benchmark process
 * carries the garbage of every autocannon round before (a 32 MB latency array each), and with Node's default young
 * generation a client alone still ran ~30 scavenges per 5 s round at 13,000 req/s; with the servers' flags, 7–8.
 * A bare hello's p99 at that rate, four 5 s rounds each: 2.29 / 3.04 / 10.85 / 2.46 ms with the default flags,
 * 2.91 / 1.99 / 3.73 / 2.32 ms with these. What stays is the client's own event-loop delay, p99 ~2.2 ms either way
 * (monitorEventLoopDelay): a floor under every latency it reports, bare or full.
 *
 * The client's own longest loop gap is reported with each run, as the servers report theirs (loop-stalls.ts): while
 * every connection is busy, requests are timed from when they were due, so a client that stood still for N ms charges
 * up to N ms to the requests due meanwhile — the table must say whose stall a tail was.
 *
 * Protocol: { id, options: PacedLoadOptions } in, { id, result } out, latencies as a plain array of the 200 answers.
 */
import { watchLoopGaps } from './loop-stalls.ts'
import { pacedLoad, type PacedLoadOptions } from './paced-load.ts'

process.on('message', (m: { id: number; options: PacedLoadOptions }) => {
  const stopWatching = watchLoopGaps()
  void pacedLoad(m.options).then((r) => {
    const result = { ok: r.ok, failures: r.failures, achievedRate: r.achievedRate, openingMs: r.openingMs, span: r.span, clientLoopMaxMs: stopWatching(), latencies: Array.from(r.latencies.subarray(0, r.ok)) }
    process.send!({ id: m.id, result })
  })
})
process.send!({ ready: true })
