// What webhook receivers are sent for each kind of event, in each format.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { RegistryEvent } from '../../events/outbox.js'
import { MAX_RESOURCES, render, webhookEventOf } from './payloads.js'

const project = { id: 7, name: 'team', public: false }
const meta = { path: [], operator: 'alice', occurredAt: '2026-12-03T10:00:00.000Z' }
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`

describe('webhook payloads', () => {
  it("a retention run is told with Harbor's retention fields, its deleted artifacts bounded", () => {
    const e: RegistryEvent = {
      type: 'TAG_RETENTION',
      project: 'team',
      projectId: 7,
      policyId: 3,
      executionId: 9,
      status: 'Success',
      trigger: 'SCHEDULE',
      total: 500,
      retained: 10,
      deletedCount: 490,
      deleted: Array.from({ length: 150 }, (_, i) => ({ repository: 'team/app', digest: digest(i), tags: i === 0 ? ['v1', 'v1.0'] : [] })),
      ...meta,
    }
    const w = webhookEventOf(e, project, 'registry.example:5000')!
    assert.equal(w.type, 'TAG_RETENTION')
    assert.equal(w.occurAt, Date.parse(meta.occurredAt) / 1000)
    const r = (w.eventData as { retention: Record<string, any> }).retention
    assert.deepEqual([r.total, r.retained, r.project_name, r.retention_policy_id, r.result, r.deleted_count], [500, 10, 'team', 3, 'Success', 490])
    assert.equal(r.deleted_artifact.length, MAX_RESOURCES)
    assert.deepEqual(r.deleted_artifact.slice(0, 3).map((d: any) => d.resource_url), ['registry.example:5000/team/app:v1', 'registry.example:5000/team/app:v1.0', `registry.example:5000/team/app@${digest(1)}`])
    const ce = JSON.parse(render(w, 'http', 'CloudEvents', '/projects/7/webhook/policies/1').body)
    assert.equal(ce.type, 'harbor.tag_retention.finished')
  })

  it('a repository deletion is told as the deletion of its artifacts; a tag removed alone is not told', () => {
    const w = webhookEventOf({ type: 'DELETE_REPOSITORY', repository: 'team/app', digests: [digest(1), digest(2)], ...meta }, project, 'r')!
    assert.equal(w.type, 'DELETE_ARTIFACT')
    assert.deepEqual((w.eventData as any).resources.map((x: any) => x.digest), [digest(1), digest(2)])
    assert.equal(webhookEventOf({ type: 'DELETE_TAG', repository: 'team/app', tag: 'v1', digest: digest(1), ...meta }, project, 'r'), null)
  })

  it("quota events carry Harbor's details; Slack gets blocks", () => {
    const w = webhookEventOf({ type: 'QUOTA_EXCEED', repository: 'team/app', project: 'team', used: 90, hard: 100, needed: 20, ...meta }, project, 'r')!
    assert.match((w.eventData as any).custom_attributes.Details, /20 bytes.*90 bytes.*100 bytes/)
    const slack = JSON.parse(render(w, 'slack', 'Default', 's').body)
    assert.match(JSON.stringify(slack.blocks), /QUOTA_EXCEED/)
  })
})
