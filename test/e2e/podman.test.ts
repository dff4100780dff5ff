// End-to-end: podman (root, isolated store) pushes an image and a manifest list to a real Berth and pulls them back.
//
// Flags used in this sandbox (podman 4.3.1 as root, cgroup v1, no systemd, no journald, no network).
// Strictly required: --tls-verify=false on push/pull (Berth serves plain HTTP on loopback) and
// --creds <admin> on push (Berth requires authentication to write; pulls from it pass it too). The rest
// isolate each test's podman from the host and from other tests; per invocation:
//   --root <tmp>/root --runroot <tmp>/run   own image store instead of /var/lib/containers, /run/containers
//                                          (podman refuses a runroot longer than 50 characters)
//   --tmpdir <tmp>/tmp                      libpod state (alive lock, events, exits) instead of /run/libpod
//   --storage-driver vfs                    plain directories, nothing mounted: a failed test cannot leave a
//                                          mount behind that blocks the cleanup (overlay also works here)
//   --cgroup-manager=cgroupfs               no systemd here; podman falls back to it anyway, pinned
//   --events-backend=file                   no journald here; the event log goes to --tmpdir
//   --network-config-dir <tmp>/net          keeps network configs out of /etc/containers/networks
//   and TMPDIR=<tmp>/tmp in the environment (image copies are staged there instead of /var/tmp).
// Per pull/push: --signature-policy <file accepting anything>, so the host's /etc/containers/policy.json
// does not decide the outcome (`podman manifest push` has no such flag).
// Images come from the OCI layout fixture (`podman pull oci:<dir>:<tag>`, which names the image after
// <dir>, hence a lower-case work dir); nothing is fetched from the network.
// Not isolated by any flag: root's blob-info cache (/var/lib/containers/cache, shared with skopeo) and
// netavark's empty /run/containers/networks; both are harmless here.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  imageLayerFiles,
  MediaType,
  sha256Digest,
  writeImage,
  writeMultiArchIndex,
  type ImageFixture,
  type IndexFixture,
  manifestAccept,
} from '../fixtures/oci-layout.js'
import { missingTools, startBerth, withServerLogs, type BerthProcess } from '../support/berth-process.js'
import { isolatedPodman } from '../support/podman.js'

type PodmanImage = {
  Id: string
  Digest: string
  RepoTags: string[]
  RepoDigests: string[]
  Architecture: string
  Os: string
  Config: { Cmd?: string[]; Labels?: Record<string, string> }
  RootFS: { Layers: string[] }
}

describe('podman against Berth', { skip: missingTools(['podman']), timeout: 300_000 }, () => {
  let berth: BerthProcess | undefined
  let work = ''
  let layout = ''
  let img: ImageFixture
  let multi: IndexFixture
  const server = () => berth
  const seed = 'podman-image'

  before(async () => {
    // Lower case only: podman names an image pulled from oci:<dir> after <dir>, and names must be lower case.
    // Short: podman rejects a --runroot longer than 50 characters.
    const base = tmpdir().length <= 20 ? tmpdir() : '/tmp'
    work = join(base, `berth-pm-${randomBytes(4).toString('hex')}`)
    mkdirSync(work)
    layout = join(work, 'layout')
    img = writeImage(layout, { seed, tag: 'v1' })
    multi = writeMultiArchIndex(layout, { seed: 'podman-multi', tag: 'multi' })
    berth = await startBerth()
  })

  after(async () => {
    await berth?.stop()
    if (work !== '') rmSync(work, { recursive: true, force: true })
  })

  it(
    'pushes an image, pulls it back by tag and by digest, and inspects and mounts it',
    withServerLogs(server, async () => {
      assert.ok(berth)
      const podman = isolatedPodman(join(work, 'p1'))
      const repo = `127.0.0.1:${berth.port}/library/e2e/podman`
      const ref = `${repo}:v1`
      // podman's image ID is the hex of the config digest, which survives podman's re-compression of layers.
      const imageId = img.config.digest.slice('sha256:'.length)

      const loaded = await podman.run(['pull', '-q', '--signature-policy', podman.policy, `oci:${layout}:v1`])
      assert.equal(loaded.stdout.trim(), imageId)
      await podman.run(['tag', imageId, ref])

      const digestFile = join(work, 'pushed-digest')
      await podman.run(['push', '--tls-verify=false', '--creds', berth.creds, '--signature-policy', podman.policy, '--digestfile', digestFile, ref])
      const pushed = readFileSync(digestFile, 'utf8').trim()
      assert.match(pushed, /^sha256:[0-9a-f]{64}$/)

      // What Berth serves for the tag is exactly what podman pushed.
      const res = await fetch(`${berth.url}/v2/library/e2e/podman/manifests/v1`, {
        headers: { Authorization: berth.authorization, Accept: manifestAccept },
      })
      const served = Buffer.from(await res.arrayBuffer())
      assert.equal(res.status, 200, served.toString('utf8'))
      assert.equal(sha256Digest(served), pushed, 'digest of the manifest Berth serves for the tag')
      const manifest = JSON.parse(served.toString('utf8')) as { config: { digest: string }; layers: unknown[] }
      assert.equal(manifest.config.digest, img.config.digest)
      assert.equal(manifest.layers.length, img.layers.length)

      await podman.run(['rmi', '--all', '--force'])
      assert.equal((await podman.run(['images', '--quiet'])).stdout.trim(), '', 'local store is empty before the pull')

      const pulled = await podman.run(['pull', '-q', '--tls-verify=false', '--creds', berth.creds, '--signature-policy', podman.policy, ref])
      assert.equal(pulled.stdout.trim(), imageId, 'image ID after pulling by tag')

      const [info] = JSON.parse((await podman.run(['image', 'inspect', ref])).stdout) as PodmanImage[]
      assert.ok(info)
      assert.equal(info.Id, imageId)
      assert.equal(info.Digest, pushed)
      assert.ok(info.RepoDigests.includes(`${repo}@${pushed}`), `RepoDigests: ${info.RepoDigests.join(', ')}`)
      assert.ok(info.RepoTags.includes(ref), `RepoTags: ${info.RepoTags.join(', ')}`)
      assert.equal(info.Architecture, 'amd64')
      assert.equal(info.Os, 'linux')
      assert.deepEqual(info.Config.Cmd, ['/bin/hello'])
      assert.equal(info.Config.Labels?.['org.example.berth.seed'], seed)
      assert.equal(info.RootFS.Layers.length, img.layers.length)

      // The layers podman extracted hold the fixture's files, byte for byte.
      const mountPoint = (await podman.run(['image', 'mount', ref])).stdout.trim()
      try {
        for (const file of imageLayerFiles(seed, img.platform).flat()) {
          const got = readFileSync(join(mountPoint, file.path))
          assert.ok(got.equals(file.content), `content of /${file.path} in the pulled image`)
        }
      } finally {
        await podman.run(['image', 'unmount', ref])
      }

      // A second, empty store pulls by digest.
      const fresh = isolatedPodman(join(work, 'p2'))
      const byDigest = await fresh.run([
        'pull',
        '-q',
        '--tls-verify=false',
        '--creds',
        berth.creds,
        '--signature-policy',
        fresh.policy,
        `${repo}@${pushed}`,
      ])
      assert.equal(byDigest.stdout.trim(), imageId, 'image ID after pulling by digest')
      const [again] = JSON.parse((await fresh.run(['image', 'inspect', `${repo}@${pushed}`])).stdout) as PodmanImage[]
      assert.equal(again?.Digest, pushed)
    }),
  )

  it(
    'pushes a manifest list with podman manifest push --all and pulls each platform back',
    withServerLogs(server, async () => {
      assert.ok(berth)
      const podman = isolatedPodman(join(work, 'p3'))
      const repo = `127.0.0.1:${berth.port}/library/e2e/podman-multi`
      const ref = `${repo}:v1`

      await podman.run(['manifest', 'create', 'localhost/e2e-multi:v1'])
      await podman.run(['manifest', 'add', '--all', 'localhost/e2e-multi:v1', `oci:${layout}:multi`])
      const digestFile = join(work, 'pushed-list-digest')
      await podman.run([
        'manifest',
        'push',
        '--all',
        '--tls-verify=false', // no --signature-policy: `manifest push` has no such flag in 4.3
        '--creds',
        berth.creds,
        '--digestfile',
        digestFile,
        'localhost/e2e-multi:v1',
        `docker://${ref}`,
      ])
      const pushed = readFileSync(digestFile, 'utf8').trim()

      // podman 4.3 writes a Docker manifest list whose entries are the fixture's OCI manifests, unchanged.
      const res = await fetch(`${berth.url}/v2/library/e2e/podman-multi/manifests/v1`, {
        headers: { Authorization: berth.authorization, Accept: manifestAccept },
      })
      const served = Buffer.from(await res.arrayBuffer())
      assert.equal(res.status, 200, served.toString('utf8'))
      assert.equal(sha256Digest(served), pushed, 'digest of the list Berth serves for the tag')
      const list = JSON.parse(served.toString('utf8')) as { mediaType?: string; manifests: { digest: string }[] }
      assert.equal(res.headers.get('content-type')?.split(';')[0], list.mediaType ?? MediaType.imageIndex)
      assert.deepEqual(
        list.manifests.map((m) => m.digest).sort(),
        multi.images.map((i) => i.manifest.digest).sort(),
      )

      const fresh = isolatedPodman(join(work, 'p4'))
      for (const image of multi.images) {
        const arch = image.platform.architecture
        const pulled = await fresh.run([
          'pull',
          '-q',
          '--arch',
          arch,
          '--tls-verify=false',
          '--creds',
          berth.creds,
          '--signature-policy',
          fresh.policy,
          ref,
        ])
        assert.equal(pulled.stdout.trim(), image.config.digest.slice('sha256:'.length), `image ID pulled for ${arch}`)
        const [info] = JSON.parse((await fresh.run(['image', 'inspect', pulled.stdout.trim()])).stdout) as PodmanImage[]
        assert.equal(info?.Architecture, arch)
      }
    }),
  )
})
