// Which hosts Berth may connect to (replication, webhooks; later proxy cache and scanners):
// allow and deny lists of CIDRs, addresses and host names, and no cloud metadata endpoints.
// The check runs when a connection is opened, on the name and on every address it resolves
// to, so a name that re-resolves (DNS rebinding) cannot slip past a check made earlier.
// Addresses are checked as what they reach: every spelling of an address, the unspecified
// addresses and IPv4 wrapped in IPv6 are normalised first.
import type { LookupAddress, LookupOptions } from 'node:dns'
import { lookup as dnsLookup } from 'node:dns/promises'
import { BlockList, isIP, type LookupFunction } from 'node:net'
import { Agent, buildConnector } from 'undici'
import { BerthError } from '../lib/errors.js'

export interface OutboundRules {
  /** CIDRs (`10.0.0.0/8`, `fd00::/8`), addresses, host names (`registry.example.com`, `*.example.com`). Empty: anything not denied. */
  allow: string[]
  deny: string[]
  /** Lets requests reach cloud metadata endpoints (refused by default). */
  allowMetadata?: boolean
  /** Every address of a name (default: the system resolver, dns.lookup); tests put a fake resolver here. */
  resolve?: (hostname: string, options: LookupOptions) => Promise<LookupAddress[]>
}

const METADATA_ADDRESSES = ['169.254.169.254', '169.254.170.2', '100.100.100.200', 'fd00:ec2::254']
const METADATA_NAMES = ['metadata.google.internal']

/** One list of rules: addresses and networks in a BlockList, names exact or as `*.suffix`. */
class RuleSet {
  private readonly addresses = new BlockList()
  private readonly names = new Set<string>()
  private readonly suffixes: string[] = []
  readonly size: number

  constructor(entries: readonly string[], what: string) {
    for (const raw of entries) {
      const entry = raw.trim().toLowerCase()
      const slash = entry.indexOf('/')
      if (slash >= 0) {
        const net = canonicalHost(entry.slice(0, slash))
        const prefix = Number(entry.slice(slash + 1))
        const family = isIP(net)
        if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) {
          throw new BerthError('BAD_REQUEST', `${what} entry ${JSON.stringify(raw)} is not a valid CIDR`)
        }
        this.addresses.addSubnet(net, prefix, family === 4 ? 'ipv4' : 'ipv6')
      } else if (isIP(canonicalHost(entry)) !== 0) {
        const address = canonicalHost(entry)
        this.addresses.addAddress(address, isIP(address) === 4 ? 'ipv4' : 'ipv6')
      } else if (entry.startsWith('*.') && validName(entry.slice(2))) {
        this.suffixes.push(entry.slice(1))
      } else if (validName(entry)) {
        this.names.add(entry)
      } else {
        throw new BerthError('BAD_REQUEST', `${what} entry ${JSON.stringify(raw)} is not a CIDR, an address or a host name`)
      }
    }
    this.size = entries.length
  }

  hasName(name: string): boolean {
    return this.names.has(name) || this.suffixes.some((s) => name.endsWith(s))
  }

  hasAddress(address: string): boolean {
    // BlockList applies IPv4 rules to IPv4-mapped IPv6 addresses (::ffff:10.0.0.1) too.
    return this.addresses.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6')
  }
}

function validName(name: string): boolean {
  return /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/.test(name)
}

/**
 * A host as a URL parser reads it: `Example.COM.` -> `example.com`, `[::1]` -> `::1`, and every
 * spelling of an IPv4 address WHATWG URL parsing accepts (`2130706433`, `0x7f.1`, `0177.0.0.1`,
 * `127.1`) -> `127.0.0.1`; IPv6 in its shortest form. A zone id (`fe80::1%eth0`) is dropped: the
 * address is what the rules are about.
 */
export function canonicalHost(host: string): string {
  let h = host.trim().toLowerCase()
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1)
  const zone = h.indexOf('%')
  if (zone >= 0 && h.includes(':')) h = h.slice(0, zone)
  try {
    const parsed = new URL(`http://${h.includes(':') ? `[${h}]` : h}/`).hostname
    h = parsed.startsWith('[') ? parsed.slice(1, -1) : parsed
  } catch {
    // not a valid host: judged by name, and refused or not found when it is resolved
  }
  return h.replace(/\.$/, '')
}

/** The eight 16-bit groups of a canonical IPv6 address. */
function ipv6Groups(address: string): number[] {
  const [head = '', tail] = address.split('::')
  const left = head === '' ? [] : head.split(':')
  const right = tail === undefined || tail === '' ? [] : tail.split(':')
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
  return groups.map((g) => parseInt(g, 16))
}

/**
 * The address a connection to `address` reaches: IPv4-mapped (`::ffff:a.b.c.d`) and
 * IPv4-compatible (`::a.b.c.d`) IPv6 addresses are the IPv4 address they carry, and the
 * unspecified addresses (`0.0.0.0` and the rest of 0.0.0.0/8, `::`), which connect to this host,
 * are loopback. Anything else is returned canonical, unchanged.
 */
export function reachedAddress(address: string): string {
  let a = canonicalHost(address)
  if (isIP(a) === 6) {
    const g = ipv6Groups(a)
    const zeros = (n: number) => g.slice(0, n).every((x) => x === 0)
    const low = (g[6]! << 16) + g[7]!
    if (zeros(8)) return '::1'
    if ((zeros(5) && g[5] === 0xffff) || (zeros(6) && low > 1)) a = [g[6]! >> 8, g[6]! & 0xff, g[7]! >> 8, g[7]! & 0xff].join('.')
  }
  if (isIP(a) === 4 && a.startsWith('0.')) return '127.0.0.1'
  return a
}

/** An address for messages: `0.0.0.0 (127.0.0.1)` when it reaches another one. */
function shown(address: string): string {
  const reached = reachedAddress(address)
  return reached === address ? address : `${address} (${reached})`
}

function refused(host: string, why: string): BerthError {
  return new BerthError('BAD_REQUEST', `outbound request to ${host} refused: ${why}`)
}

export class OutboundGuard {
  private readonly allow: RuleSet
  private readonly deny: RuleSet
  private readonly metadata: RuleSet
  private readonly agents = new Map<boolean, Agent>()
  private readonly resolve: (hostname: string, options: LookupOptions) => Promise<LookupAddress[]>

  constructor(rules: OutboundRules) {
    this.resolve = rules.resolve ?? ((hostname, options) => dnsLookup(hostname, { ...options, all: true }))
    this.allow = new RuleSet(rules.allow, 'allow')
    this.deny = new RuleSet(rules.deny, 'deny')
    this.metadata = new RuleSet(rules.allowMetadata === true ? [] : [...METADATA_ADDRESSES, ...METADATA_NAMES], 'metadata')
  }

  /** Throws BAD_REQUEST unless a connection to `host`, resolved to `addresses`, is allowed. */
  check(host: string, addresses: readonly string[]): void {
    const name = canonicalHost(host)
    const why = this.nameRefusal(name) ?? this.addressRefusal(name, addresses)
    if (why !== null) throw refused(host, why)
  }

  /**
   * Checks a URL before it is stored (a registry's): its host by name and by the addresses it
   * resolves to now (a name that does not resolve yet is judged by its name alone). Connections
   * are checked again when they are made.
   */
  async checkUrl(url: string): Promise<void> {
    const host = canonicalHost(new URL(url).hostname)
    const addresses = isIP(host) !== 0 ? [host] : (await this.resolve(host, {}).catch(() => [])).map((a) => a.address)
    this.check(host, addresses)
  }

  /** What the name alone is refused for (checked before it is resolved), or null. */
  private nameRefusal(name: string): string | null {
    if (isIP(name) !== 0) return null
    if (this.deny.hasName(name)) return `${name} is denied`
    if (this.metadata.hasName(name)) return `${name} is a cloud metadata endpoint`
    return null
  }

  /** What the addresses are refused for, each judged by the address it reaches, or null. */
  private addressRefusal(name: string, addresses: readonly string[]): string | null {
    const denied = addresses.find((a) => this.deny.hasAddress(reachedAddress(a)))
    if (denied !== undefined) return `${shown(denied)} is denied`
    const metadata = addresses.find((a) => this.metadata.hasAddress(reachedAddress(a)))
    if (metadata !== undefined) return `${shown(metadata)} is a cloud metadata address`
    if (this.allow.size === 0 || (isIP(name) === 0 && this.allow.hasName(name))) return null
    const outside = addresses.find((a) => !this.allow.hasAddress(reachedAddress(a)))
    return outside !== undefined || addresses.length === 0 ? `${outside === undefined ? name : shown(outside)} is not in the allow list` : null
  }

  /** A `net.connect` lookup that checks the name, resolves every address of it and checks them all. */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    const early = this.nameRefusal(canonicalHost(hostname))
    if (early !== null) return callback(refused(hostname, early), '', 0)
    this.resolve(hostname, options).then(
      (found) => {
        try {
          this.check(hostname, found.map((a) => a.address))
        } catch (e) {
          return callback(e as NodeJS.ErrnoException, '', 0)
        }
        if (options.all === true) return (callback as unknown as (e: null, all: LookupAddress[]) => void)(null, found)
        const first = found[0]
        if (first === undefined) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '', 0)
        callback(null, first.address, first.family)
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    )
  }

  /**
   * The undici dispatcher every outbound request goes through: each new connection is checked
   * (a literal address before connecting, a name through `lookup`). `insecure` turns TLS
   * verification off. One agent per setting, kept until close().
   */
  dispatcher(o: { insecure?: boolean } = {}): Agent {
    const insecure = o.insecure === true
    let agent = this.agents.get(insecure)
    if (agent === undefined) {
      const connect = buildConnector({ rejectUnauthorized: !insecure, lookup: this.lookup } as buildConnector.BuildOptions)
      agent = new Agent({
        connect: (opts, callback) => {
          // net.connect skips `lookup` for a literal address, so those are checked here.
          if (isIP(opts.hostname) !== 0) {
            try {
              this.check(opts.hostname, [opts.hostname])
            } catch (e) {
              callback(e as Error, null)
              return
            }
          }
          connect(opts, callback)
        },
      })
      this.agents.set(insecure, agent)
    }
    return agent
  }

  /** Closes the dispatchers' idle connections. */
  async close(): Promise<void> {
    const agents = [...this.agents.values()]
    this.agents.clear()
    await Promise.all(agents.map((a) => a.close()))
  }
}
