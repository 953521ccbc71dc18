/**
 * The log sink of the Node and Deno servers: stdout through a synchronous pino destination that batches lines as
 * UTF-8 bytes in one reused buffer.
 *
 * Why batched: one write(2) per access line was a fifth of a cached catalogue read's CPU (npm run bench:search,
 * stdout to a pipe). Lines collect up to `minLength` bytes and go out in one synchronous write; a periodic flush
 * bounds how long a line waits on a quiet server, and the process's `exit` (normal end, uncaught exception,
 * process.exit) writes what is left. What a hard kill (SIGKILL, the OOM killer) can lose is the last `flushMs`.
 * Why 16 KiB: a write(2) costs a few µs whatever its size on this VM, and at 4 KiB (about 14 access lines) that was
 * still 0.6–1.2 µs per line through this destination, against 0.18 at 16 KiB and 0.15 at 64 KiB (200k lines of
 * 300 bytes to /dev/null). Writes over PIPE_BUF (4 KiB) are not atomic on a pipe, which matters only when other
 * processes write to the same pipe at once; every line here comes from this one thread, and lines stay whole.
 * Why synchronous writes, still: a slow log pipe pushes back on the server instead of growing an unbounded buffer,
 * and pino's asynchronous mode hands every write to the libuv thread pool (about 5 µs more per line, bench/http.ts).
 * Why bytes: a batch of strings is joined, measured (Buffer.byteLength) and encoded on its way out, three passes over
 * every line after the one that built it; here pino's lines are encoded once into the batch, and the access line is
 * written into it directly (`ByteLineSink`, access-log.ts), so the commonest line is never a string at all.
 */
import pino from 'pino'
import type { ByteLineSink } from './access-log.ts'

export interface BufferedDestinationOptions {
  /** Bytes collected before a write (0: every line written at once). */
  minLength?: number
  /** The longest a line waits on a quiet server, in ms. */
  flushMs?: number
}

/** What pino writes to, and what the exit hook and shutdown call. */
export interface BufferedDestination extends pino.DestinationStream, ByteLineSink {
  write(line: string): boolean
  /** Writes what is collected now, synchronously. */
  flushSync(): void
  /** pino's `logger.flush(cb)`. */
  flush(cb?: (error?: Error) => void): void
}

/** Room past `minLength`, so a batch just short of it still takes an ordinary line before it is written. */
const HEADROOM = 64 * 1024
/** UTF-8 bytes per UTF-16 code unit, at most: the bound that lets a string be encoded without measuring it first. */
const MAX_UTF8_PER_UNIT = 3

const open = new Set<BufferedDestination>()
let exitHook = false

/**
 * The batch is written out by a sonic-boom destination in buffer mode that writes at once (it owns the file
 * descriptor, EAGAIN retries on a full pipe, and flushSync). Its synchronous write has consumed every byte when it
 * returns, so the batch is reused straight away. sonic-boom's own batching is not used: in its string mode it appends
 * each line to one growing string and measures that string's UTF-8 length on every write.
 */
export function bufferedDestination(dest: number | string = 1, { minLength = 16_384, flushMs = 100 }: BufferedDestinationOptions = {}): BufferedDestination {
  const sink = pino.destination({ dest, sync: true, minLength: 0, contentMode: 'buffer' })
  const batch = Buffer.allocUnsafe(minLength + HEADROOM)
  let used = 0
  const writeOut = () => {
    if (used === 0) return
    const bytes = batch.subarray(0, used)
    used = 0
    sink.write(bytes as unknown as string)
  }
  const timer = minLength > 0 ? setInterval(writeOut, flushMs) : undefined
  // A periodic flush must not keep an otherwise finished process alive.
  timer?.unref()
  const reserveLine = (maxBytes: number): number => {
    if (used + maxBytes > batch.length) writeOut()
    return maxBytes > batch.length ? -1 : used
  }
  const commitLine = (end: number) => {
    used = end
    if (used >= minLength) writeOut()
  }
  const destination: BufferedDestination = {
    batch,
    reserveLine,
    commitLine,
    write(line) {
      const at = reserveLine(line.length * MAX_UTF8_PER_UNIT)
      // A line longer than the whole batch (a huge error record) goes out on its own, after what came before it.
      if (at < 0) sink.write(Buffer.from(line) as unknown as string)
      else commitLine(at + batch.write(line, at, 'utf8'))
      return true
    },
    flushSync() {
      writeOut()
      sink.flushSync()
    },
    flush(cb) {
      writeOut()
      sink.flush(cb)
    },
  }
  open.add(destination)
  if (!exitHook) {
    exitHook = true
    // 'exit' handlers run synchronously on every way out but a signal kill: flushSync is synchronous too.
    process.on('exit', () => {
      for (const d of open) {
        try {
          d.flushSync()
        } catch {
          // A closed or broken stdout: nothing more can be done with these lines.
        }
      }
    })
  }
  return destination
}
