// A self-signed certificate for 127.0.0.1 (openssl), for servers tests start with TLS.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

/** Writes key.pem and cert.pem (CN and SAN 127.0.0.1, valid 2 days) into `dir`; returns their paths and PEM text. */
export function selfSignedCertificate(dir: string): { keyFile: string; certFile: string; key: string; cert: string } {
  const keyFile = join(dir, 'key.pem')
  const certFile = join(dir, 'cert.pem')
  const r = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile],
    { stdio: 'pipe' },
  )
  if (r.status !== 0) throw new Error(`openssl req failed: ${r.stderr.toString()}`)
  return { keyFile, certFile, key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8') }
}
