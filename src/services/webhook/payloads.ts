// What a webhook receiver is sent: Harbor's payloads, rendered from Berth's events. Three formats:
// Harbor's default JSON ({type, occur_at, operator, event_data}), CloudEvents 1.0 in structured
// mode (application/cloudevents+json, Harbor's type names), and Slack's blocks for incoming
// webhooks. Lists in a payload are bounded, so a payload stays small whatever the event.
import { randomUUID } from 'node:crypto'
import type { RegistryEvent } from '../../events/outbox.js'

/** The event types a policy may ask for, as Harbor names them; and their CloudEvents types. */
export const WEBHOOK_EVENT_TYPES = {
  PUSH_ARTIFACT: 'harbor.artifact.pushed',
  PULL_ARTIFACT: 'harbor.artifact.pulled',
  DELETE_ARTIFACT: 'harbor.artifact.deleted',
  QUOTA_EXCEED: 'harbor.quota.exceed',
  QUOTA_WARNING: 'harbor.quota.warning',
  REPLICATION: 'harbor.replication.status.changed',
  TAG_RETENTION: 'harbor.tag_retention.finished',
  SCANNING_COMPLETED: 'harbor.scan.completed',
  SCANNING_FAILED: 'harbor.scan.failed',
  SCANNING_STOPPED: 'harbor.scan.stopped',
} as const
export type WebhookEventType = keyof typeof WEBHOOK_EVENT_TYPES

export function isWebhookEventType(t: string): t is WebhookEventType {
  return Object.hasOwn(WEBHOOK_EVENT_TYPES, t)
}

/**
 * The webhook event type a registry event is told as (a repository deletion as the deletion of
 * its artifacts); null when webhooks never hear of it (a tag removed on its own).
 */
export function webhookTypeOf(type: RegistryEvent['type']): WebhookEventType | null {
  if (type === 'DELETE_REPOSITORY') return 'DELETE_ARTIFACT'
  return isWebhookEventType(type) ? type : null
}

/** Most resources one payload lists (a repository deletion of many artifacts lists the first ones). */
export const MAX_RESOURCES = 100

export type PayloadFormat = 'Default' | 'CloudEvents'
export type NotifyType = 'http' | 'slack'

/** The project an event happened in, as the payload shows it. */
export interface EventProject {
  id: number
  name: string
  public: boolean
}

/** A webhook event in Harbor's terms, ready to render in any format. */
export interface WebhookEvent {
  type: WebhookEventType
  /** Unix seconds. */
  occurAt: number
  operator: string
  eventData: Record<string, unknown>
}

/**
 * The webhook event for a registry event, or null when webhooks have none for it (a tag removed
 * on its own, a pull of nothing). `registryHost` builds the resource URLs (`host/repo:tag`).
 */
export function webhookEventOf(e: RegistryEvent, project: EventProject, registryHost: string): WebhookEvent | null {
  const occurAt = Math.floor(Date.parse(e.occurredAt) / 1000) || Math.floor(Date.now() / 1000)
  const base = { occurAt, operator: e.operator }
  const repository = (full: string) => ({
    name: full.slice(project.name.length + 1),
    namespace: project.name,
    repo_full_name: full,
    repo_type: project.public ? 'public' : 'private',
  })
  const resource = (repo: string, digest: string, tag?: string) => ({
    digest,
    ...(tag !== undefined ? { tag } : {}),
    resource_url: `${registryHost}/${repo}${tag !== undefined ? `:${tag}` : `@${digest}`}`,
  })
  switch (e.type) {
    case 'PUSH_ARTIFACT':
    case 'PULL_ARTIFACT':
      return { type: e.type, ...base, eventData: { resources: [resource(e.repository, e.digest, e.tag)], repository: repository(e.repository) } }
    case 'DELETE_ARTIFACT': {
      const tags = e.tags.length > 0 ? e.tags.slice(0, MAX_RESOURCES) : [undefined]
      return { type: 'DELETE_ARTIFACT', ...base, eventData: { resources: tags.map((t) => resource(e.repository, e.digest, t)), repository: repository(e.repository) } }
    }
    case 'DELETE_REPOSITORY':
      // Harbor tells of a repository's deletion as the deletion of its artifacts.
      return { type: 'DELETE_ARTIFACT', ...base, eventData: { resources: e.digests.slice(0, MAX_RESOURCES).map((d) => resource(e.repository, d)), repository: repository(e.repository) } }
    case 'QUOTA_EXCEED':
    case 'QUOTA_WARNING': {
      const details =
        e.type === 'QUOTA_EXCEED'
          ? `adding ${e.needed} bytes of storage to a usage of ${e.used} bytes would exceed the limit of ${e.hard} bytes`
          : `storage usage of ${e.used} bytes reached the warning level of the limit of ${e.hard} bytes`
      return { type: e.type, ...base, eventData: { repository: repository(e.repository), custom_attributes: { Details: details } } }
    }
    case 'TAG_RETENTION':
      // Harbor's retention payload: what the run judged and kept, and what it deleted.
      return {
        type: 'TAG_RETENTION',
        ...base,
        eventData: {
          retention: {
            total: e.total,
            retained: e.retained,
            project_name: e.project,
            retention_policy_id: e.policyId,
            execution_id: e.executionId,
            result: e.status,
            trigger: e.trigger,
            deleted_count: e.deletedCount,
            deleted_artifact: e.deleted.slice(0, MAX_RESOURCES).flatMap((d) =>
              (d.tags.length > 0 ? d.tags : [undefined]).map((tag) => ({ type: 'image', status: 'SUCCESS', ...resource(d.repository, d.digest, tag) })),
            ).slice(0, MAX_RESOURCES),
          },
        },
      }
    case 'SCANNING_COMPLETED':
    case 'SCANNING_FAILED':
    case 'SCANNING_STOPPED':
      return { type: e.type, ...base, eventData: { resources: [{ ...resource(e.repository, e.digest, e.tag), scan_overview: e.scanOverview }], repository: repository(e.repository) } }
    case 'DELETE_TAG':
      return null
    default: {
      // Events whose data is their own fields (retention runs, replication runs).
      const { type, path: _path, operator: _operator, occurredAt: _at, ...data } = e as RegistryEvent & Record<string, unknown>
      return isWebhookEventType(type) ? { type, ...base, eventData: data } : null
    }
  }
}

export interface Rendered {
  body: string
  contentType: string
}

/** `source`: where the event comes from, for CloudEvents (the policy's path). */
export function render(e: WebhookEvent, notify: NotifyType, format: PayloadFormat, source: string): Rendered {
  if (notify === 'slack') return { body: JSON.stringify(slackBlocks(e)), contentType: 'application/json' }
  if (format === 'CloudEvents') {
    const event = {
      specversion: '1.0',
      id: randomUUID(),
      source,
      type: WEBHOOK_EVENT_TYPES[e.type],
      datacontenttype: 'application/json',
      time: new Date(e.occurAt * 1000).toISOString(),
      operator: e.operator,
      data: e.eventData,
    }
    return { body: JSON.stringify(event), contentType: 'application/cloudevents+json' }
  }
  return { body: JSON.stringify({ type: e.type, occur_at: e.occurAt, operator: e.operator, event_data: e.eventData }), contentType: 'application/json' }
}

/** Slack's message for an event: a title, the event's facts, and its data as a code block. */
function slackBlocks(e: WebhookEvent) {
  const when = new Date(e.occurAt * 1000).toISOString()
  const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } })
  return {
    blocks: [
      section('*Berth webhook event*'),
      section(`*event_type:* ${e.type}\n*occur_at:* <!date^${e.occurAt}^{date} at {time}|${when}>\n*operator:* ${e.operator || 'system'}`),
      section(`*event_data:*\n\`\`\`${JSON.stringify(e.eventData, null, 2).slice(0, 2800)}\`\`\``),
    ],
  }
}
