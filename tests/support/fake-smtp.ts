/**
 * A real SMTP server in process (smtp-server) for the SMTP adapter tests: plain text on 127.0.0.1, AUTH PLAIN/LOGIN
 * required (user `kamhub`, password `smtp-test-password`), recipients at `@blocked.example` refused with 550 and
 * at `@busy.example` with 451. Every accepted message is kept whole (envelope + raw RFC 5322 text).
 */
import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'

export interface ReceivedMail {
  from: string
  to: string[]
  raw: string
}

export interface FakeSmtp {
  url: string
  received: ReceivedMail[]
  close(): Promise<void>
}

export async function startFakeSmtp(): Promise<FakeSmtp> {
  const received: ReceivedMail[] = []
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === 'kamhub' && auth.password === 'smtp-test-password') return callback(null, { user: 'kamhub' })
      callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }))
    },
    onRcptTo(address, _session, callback) {
      if (address.address.endsWith('@blocked.example')) return callback(Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 }))
      if (address.address.endsWith('@busy.example')) return callback(Object.assign(new Error('Try again later'), { responseCode: 451 }))
      callback()
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        })
        callback()
      })
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.server.address() as AddressInfo
  return {
    url: `smtp://kamhub:smtp-test-password@127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
