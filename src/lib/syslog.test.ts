// The syslog endpoint forms, RFC 5424 formatting (escapes, header fields, the size cap) and the
// sender's bounds: a full queue drops and counts, never throws or blocks.
import assert from 'node:assert/strict'
import { createServer, type AddressInfo } from 'node:net'
import { describe, it } from 'node:test'
import { silentLogger } from './logger.js'
import { formatRfc5424, MAX_MESSAGE_BYTES, parseSyslogEndpoint, SyslogSender } from './syslog.js'

describe('parseSyslogEndpoint', () => {
  it('takes Harbor host:port as TCP, and tcp:// and udp:// forms; "" is none', () => {
    assert.equal(parseSyslogEndpoint(''), null)
    assert.deepEqual(parseSyslogEndpoint('harbor-log:10514'), { protocol: 'tcp', host: 'harbor-log', port: 10514 })
    assert.deepEqual(parseSyslogEndpoint('tcp://10.0.0.7:514'), { protocol: 'tcp', host: '10.0.0.7', port: 514 })
    assert.deepEqual(parseSyslogEndpoint('udp://[fd00::1]:514'), { protocol: 'udp', host: 'fd00::1', port: 514 })
    assert.deepEqual(parseSyslogEndpoint('udp://logs.example.com:1'), { protocol: 'udp', host: 'logs.example.com', port: 1 })
  })
  it('refuses anything else, saying which forms are accepted', () => {
    for (const bad of ['host', 'host:', ':514', 'host:0', 'host:65536', 'host:123456', 'http://host:514', 'tcp:/host:514', 'host:514/', 'a b:514', '[::1:514', '[::1]', '[zz::1]:514', '::1:514', '300.1.1.1:514', '1.2.3:514', `${'a'.repeat(64)}.example:514`, `${'a'.repeat(260)}:1`, '-host:514', 'host-:514']) {
      assert.throws(() => parseSyslogEndpoint(bad), /must be host:port \(TCP\), tcp:\/\/host:port or udp:\/\/host:port/, bad)
    }
  })
})

describe('formatRfc5424', () => {
  const base = { facility: 1, severity: 6, time: '2024-05-01T10:00:00.123Z', hostname: 'node-1', appName: 'audit', procId: '42', msgId: 'create' }
  it('writes the header, one SD-ELEMENT with escaped values, and the message', () => {
    const line = formatRfc5424({ ...base, data: { id: 'audit@32473', params: { operator: 'a"b\\c]d', project_id: 3, gone: null } }, message: 'action:create' })
    assert.equal(line, '<14>1 2024-05-01T10:00:00.123Z node-1 audit 42 create [audit@32473 operator="a\\"b\\\\c\\]d" project_id="3"] action:create')
  })
  it('keeps header fields printable and within their lengths; empty ones are "-"', () => {
    const line = formatRfc5424({ ...base, hostname: '', msgId: 'a very long message id with spaces in it', message: 'x' })
    assert.equal(line, '<14>1 2024-05-01T10:00:00.123Z - audit 42 a_very_long_message_id_with_spac - x')
  })
  it('cuts a message to MAX_MESSAGE_BYTES without breaking a character', () => {
    const line = formatRfc5424({ ...base, message: 'é'.repeat(MAX_MESSAGE_BYTES) })
    assert.ok(Buffer.byteLength(line) <= MAX_MESSAGE_BYTES)
    assert.ok(!line.includes('\uFFFD'))
  })
})

describe('SyslogSender', () => {
  it('with nothing listening, a full queue drops and counts; send never throws', async () => {
    // A port that was free a moment ago: connections are refused.
    const probe = createServer()
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r))
    const port = (probe.address() as AddressInfo).port
    await new Promise<void>((r) => probe.close(() => r()))
    const sender = new SyslogSender({ endpoint: { protocol: 'tcp', host: '127.0.0.1', port }, log: silentLogger(), maxQueue: 5, minBackoffMs: 60_000 })
    const accepted = Array.from({ length: 8 }, (_, i) => sender.send(`m${i}`))
    assert.deepEqual(accepted, [true, true, true, true, true, false, false, false])
    assert.deepEqual(sender.stats(), { sent: 0, dropped: 3, queued: 5 })
    await sender.close()
    assert.equal(sender.send('after close'), false)
  })

  it('frames each message with its length on TCP (a newline inside stays inside)', async () => {
    const chunks: Buffer[] = []
    const server = createServer((s) => s.on('data', (d) => chunks.push(d)))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const sender = new SyslogSender({ endpoint: { protocol: 'tcp', host: '127.0.0.1', port: (server.address() as AddressInfo).port }, log: silentLogger() })
    sender.send('one\ntwo')
    sender.send('é')
    const deadline = Date.now() + 5_000
    while (Buffer.concat(chunks).length < 13 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    assert.equal(Buffer.concat(chunks).toString('utf8'), '7 one\ntwo2 é')
    assert.equal(sender.stats().sent, 2)
    await sender.close()
    await new Promise<void>((r) => server.close(() => r()))
  })
})
