/**
 * The log sink of the Node and Deno servers: stdout through a synchronous pino destination that batches lines.
 *
 * Why batched: one write(2) per access line was a fifth of a cached catalogue read's CPU (npm run bench:search,
 * stdout to a pipe). Lines collect up to `minLength` bytes and go out in one synchronous write; a periodic flush
 * bounds how long a line waits on a quiet server, and the process's `exit` (normal end, uncaught exception,
 * process.exit) writes what is left. What a hard kill (SIGKILL, the OOM killer) can lose is the last `flushMs`.
 * Why synchronous writes, still: a slow log pipe pushes back on the server instead of growing an unbounded buffer,
 * and pino's asynchronous mode hands every write to the libuv thread pool (about 5 µs more per line, bench/http.ts).
 */
import pino from 'pino'

export interface BufferedDestinationOptions {
  /** Bytes collected before a write (0: every line written at once). */
  minLength?: number
  /** The longest a line waits on a quiet server, in ms. */
  flushMs?: number
}

type Destination = ReturnType<typeof pino.destination>

const open = new Set<Destination>()
let exitHook = false

export function bufferedDestination(dest: number | string = 1, { minLength = 4096, flushMs = 100 }: BufferedDestinationOptions = {}): Destination {
  const stream = pino.destination({ dest, sync: true, minLength, periodicFlush: minLength > 0 ? flushMs : 0 })
  open.add(stream)
  stream.on('close', () => open.delete(stream))
  if (!exitHook) {
    exitHook = true
    // 'exit' handlers run synchronously on every way out but a signal kill: flushSync is synchronous too.
    process.on('exit', () => {
      for (const s of open) {
        try {
          s.flushSync()
        } catch {
          // A closed or broken stdout: nothing more can be done with these lines.
        }
      }
    })
  }
  return stream
}
