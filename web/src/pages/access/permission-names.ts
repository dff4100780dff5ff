// Catalogue keys of the resources and actions a robot may be given. A pair the server adds later
// shows its raw name until it gets a key here.

export const RESOURCE_KEYS: Record<string, string> = {
  repository: 'access.resource.repository',
  artifact: 'access.resource.artifact',
  tag: 'access.resource.tag',
  label: 'access.resource.label',
  project: 'access.resource.project',
  metadata: 'access.resource.metadata',
  member: 'access.resource.member',
  log: 'access.resource.log',
  'audit-log': 'access.resource.auditLog',
  registry: 'access.resource.registry',
  'replication-policy': 'access.resource.replicationPolicy',
  replication: 'access.resource.replication',
  'replication-adapter': 'access.resource.replicationAdapter',
  'jobservice-monitor': 'access.resource.jobserviceMonitor',
  quota: 'access.resource.quota',
  'garbage-collection': 'access.resource.garbageCollection',
  'purge-audit': 'access.resource.purgeAudit',
}

export const ACTION_KEYS: Record<string, string> = {
  pull: 'access.action.pull',
  push: 'access.action.push',
  read: 'access.action.read',
  list: 'access.action.list',
  create: 'access.action.create',
  update: 'access.action.update',
  delete: 'access.action.delete',
  stop: 'access.action.stop',
  operate: 'access.action.operate',
}
