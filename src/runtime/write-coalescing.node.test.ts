import { execFileSync } from 'node:child_process'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { connect, Socket, type AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { coalesceSocketWrites } from './write-coalescing.node.ts'

/** What net.Socket hands to its handle; every write of a socket, coalesced or not, goes through it. */
const socketInternals = Socket.prototype as unknown as { _writeGeneric(...args: unknown[]): unknown }

const servers: Server[] = []
afterEach(async () => {
  vi.restoreAllMocks()
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))))
})

async function listening(handler: (req: IncomingMessage, res: ServerResponse) => void, coalesce = true): Promise<number> {
  const server = createServer({ keepAlive: true }, handler)
  if (coalesce) coalesceSocketWrites(server)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

/** A raw client: sends `request` and collects what comes back until the server closes or `until` holds. */
function exchange(port: number, request: string, until: (received: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request))
    let received = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => {
      received += chunk
      if (until(received)) {
        socket.destroy()
        resolve(received)
      }
    })
    socket.on('error', reject)
    socket.on('close', () => resolve(received))
  })
}

const GET = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`
const answers = (received: string) => received.split('HTTP/1.1 ').length - 1
const nextTurn = () => new Promise((resolve) => setImmediate(resolve))

/**
 * A coalescing server that answers nothing by itself; GET /0 … /n-1 arrive from n clients, each waiting for the body
 * `#i`. Resolves once every request is held, with the held responses by path.
 */
async function holding(n: number) {
  const held = new Map<string, ServerResponse>()
  let allArrived!: () => void
  const arrived = new Promise<void>((resolve) => (allArrived = resolve))
  const port = await listening((req, res) => {
    held.set(req.url!, res)
    if (held.size === n) allArrived()
  })
  const clients = Array.from({ length: n }, (_, i) => exchange(port, GET(`/${i}`), (r) => r.endsWith(`#${i}`)))
  await arrived
  return { held: (i: number) => held.get(`/${i}`)!, clients }
}

describe('coalesceSocketWrites', () => {
  it('hands the answers of one turn to the kernel together at its end, in the order they were written', async () => {
    const { held, clients } = await holding(2)
    const handedOver = vi.spyOn(socketInternals, '_writeGeneric')
    const [a, b] = [held(0), held(1)]
    // Taken now: a response lets go of its socket once its answer is out.
    const [socketA, socketB] = [a.socket, b.socket]
    b.end('#1')
    a.end('#0')
    // Written, not sent: nothing reached a socket's handle in the turn that wrote.
    expect(handedOver).not.toHaveBeenCalled()
    await nextTurn()
    expect(handedOver).toHaveBeenCalledTimes(2)
    expect(handedOver.mock.contexts[0]).toBe(socketB)
    expect(handedOver.mock.contexts[1]).toBe(socketA)
    const [first, second] = await Promise.all(clients)
    expect(first).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n#0$/)
    expect(second).toMatch(/\r\n\r\n#1$/)
  })

  it('hands on at once, after the writing callback, once 16 writes are held', async () => {
    const { held, clients } = await holding(20)
    const handedOver = vi.spyOn(socketInternals, '_writeGeneric')
    for (let i = 0; i < 16; i++) held(i).end(`#${i}`)
    expect(handedOver).not.toHaveBeenCalled()
    await new Promise((resolve) => process.nextTick(resolve))
    expect(handedOver).toHaveBeenCalledTimes(16)
    for (let i = 16; i < 20; i++) held(i).end(`#${i}`)
    await new Promise((resolve) => process.nextTick(resolve))
    expect(handedOver).toHaveBeenCalledTimes(16)
    await nextTurn()
    expect(handedOver).toHaveBeenCalledTimes(20)
    const received = await Promise.all(clients)
    received.forEach((r, i) => expect(r).toMatch(new RegExp(`\\r\\n\\r\\n#${i}$`)))
  })

  it('still sends the rest of a turn when a write callback throws', () => {
    // In a child process: the throw is an uncaught exception, which the test runner would report as this run's error.
    const module = new URL('./write-coalescing.node.ts', import.meta.url).href
    const script = `
      import { createServer } from 'node:http'
      import { connect } from 'node:net'
      import { coalesceSocketWrites } from ${JSON.stringify(module)}
      const errors = []
      process.on('uncaughtException', (error) => errors.push(error.message))
      const held = []
      const server = createServer((req, res) => {
        held.push(res)
        if (held.length < 3) return
        held[0].on('finish', () => { throw new Error('listener failed') })
        for (const r of held) r.end('answer ' + r.req.url)
      })
      coalesceSocketWrites(server)
      server.listen(0, '127.0.0.1', async () => {
        const get = (path) => new Promise((resolve) => {
          const socket = connect(server.address().port, '127.0.0.1', () => socket.write('GET ' + path + ' HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n'))
          let text = ''
          socket.setEncoding('latin1')
          socket.on('data', (d) => { text += d; if (text.endsWith(path)) { socket.destroy(); resolve(text.slice(text.indexOf('answer'))) } })
        })
        const answers = await Promise.all(['/a', '/b', '/c'].map(get))
        console.log(JSON.stringify({ answers, errors }))
        server.close()
      })
    `
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 })
    expect(JSON.parse(out)).toEqual({ answers: ['answer /a', 'answer /b', 'answer /c'], errors: ['listener failed'] })
  })

  it('writes at once without it (the control: the check above can fail)', async () => {
    const port = await listening((req, res) => {
      const handedOver = vi.spyOn(socketInternals, '_writeGeneric')
      res.end('now')
      expect(handedOver).toHaveBeenCalledTimes(1)
      vi.restoreAllMocks()
    }, false)
    expect(await exchange(port, GET('/'), (r) => r.endsWith('now'))).toMatch(/\r\n\r\nnow$/)
  })

  it('keeps pipelined answers on one connection in order', async () => {
    const port = await listening((req, res) => res.end(`answer to ${req.url};`))
    const received = await exchange(port, GET('/1') + GET('/2') + GET('/3'), (r) => answers(r) === 3 && r.endsWith(';'))
    expect([...received.matchAll(/answer to (\/\d);/g)].map((m) => m[1])).toEqual(['/1', '/2', '/3'])
  })

  it('streams a body larger than the socket buffers whole and in order (backpressure still holds)', async () => {
    const size = 8 * 1024 * 1024
    const body = Buffer.alloc(size)
    for (let i = 0; i < size; i += 4) body.writeUInt32BE(i, i)
    let sawBackpressure = false
    const port = await listening((req, res) => {
      res.setHeader('Content-Length', size)
      // 64 KiB chunks: far past the socket's high-water mark, so write() must say "wait" and 'drain' must come.
      const chunks = Readable.from((function* () {
        for (let i = 0; i < size; i += 65_536) yield body.subarray(i, i + 65_536)
      })())
      const write = res.write.bind(res)
      res.write = ((chunk: Buffer, ...rest: never[]) => {
        const more = write(chunk, ...rest)
        if (!more) sawBackpressure = true
        return more
      }) as typeof res.write
      chunks.pipe(res)
    })
    const received = await new Promise<Buffer>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(GET('/big')))
      const parts: Buffer[] = []
      let length = 0
      let bodyStart = -1
      socket.on('data', (chunk: Buffer) => {
        parts.push(chunk)
        length += chunk.length
        if (bodyStart < 0) {
          const headerEnd = Buffer.concat(parts, length).indexOf('\r\n\r\n')
          if (headerEnd >= 0) bodyStart = headerEnd + 4
        }
        if (bodyStart >= 0 && length - bodyStart >= size) {
          socket.destroy()
          resolve(Buffer.concat(parts, length).subarray(bodyStart))
        }
      })
      socket.on('error', reject)
    })
    expect(sawBackpressure).toBe(true)
    expect(received.length).toBe(size)
    expect(received.equals(body)).toBe(true)
  })

  it('lets a connection closed before the flush go quietly, and serves the next one', async () => {
    const uncaught = vi.fn()
    process.on('uncaughtException', uncaught)
    try {
      const port = await listening((req, res) => {
        if (req.url === '/closing') {
          res.end('never sent')
          res.socket!.destroy()
        } else {
          res.end('still serving')
        }
      })
      const closed = await exchange(port, GET('/closing'), () => false)
      expect(closed).toBe('')
      await nextTurn()
      expect(await exchange(port, GET('/next'), (r) => r.endsWith('serving'))).toMatch(/\r\n\r\nstill serving$/)
      expect(uncaught).not.toHaveBeenCalled()
    } finally {
      process.off('uncaughtException', uncaught)
    }
  })

  it('leaves alone a socket whose writes something else already replaced', async () => {
    const seen: string[] = []
    let seenWhenEnded: string[] = []
    const server = createServer((req, res) => {
      res.end('own')
      seenWhenEnded = [...seen]
    })
    // Registered first, so it runs before the coalescing's listener.
    server.on('connection', (socket: Socket) => {
      // Only _write replaced: Node sends an answer's head and body through either, and either one marks it taken.
      const own = socket as unknown as { _write(...args: unknown[]): void; _writev(...args: unknown[]): void }
      const [write, writev] = [own._write, own._writev]
      own._write = function (...args) {
        seen.push('own writer')
        write.apply(this, args)
      }
      own._writev = function (...args) {
        seen.push('own writer')
        writev.apply(this, args)
      }
    })
    coalesceSocketWrites(server)
    servers.push(server)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as AddressInfo).port
    const received = await exchange(port, GET('/'), (r) => r.endsWith('own'))
    expect(received).toMatch(/\r\n\r\nown$/)
    // Its own writer had the answer before end() returned: nothing was queued for the turn's end.
    expect(seenWhenEnded).toEqual(['own writer'])
  })
})
