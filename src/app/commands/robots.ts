// berth robots list|create|delete: robot accounts through RobotService, as `cli`.
import { BerthError } from '../../lib/errors.js'
import { REGISTRY_ACTIONS, type RegistryAction } from '../../auth/permissions.js'
import type { Robot, RobotAccess, RobotPermission } from '../../metadata/robot-store.js'
import { ROBOT_PREFIX } from '../../services/identity/robot-service.js'
import type { Services } from '../services.js'
import { apiShapes, commaList, flag, JSON_OPTION, listAll, printList, str, UsageError, withServices, type Group, type Invocation } from './common.js'

/** Robots expire after this many days unless --duration says otherwise (Harbor's default). */
export const DEFAULT_DURATION_DAYS = 30

/** `pull`, `push`, `delete` (repository actions) or any `resource:action`. */
export function parseActions(raw: string): RobotAccess[] {
  const actions = commaList(raw)
  if (actions.length === 0) throw new UsageError('--actions needs at least one action, e.g. pull,push')
  return actions.map((a) => {
    if (Object.hasOwn(REGISTRY_ACTIONS, a)) return { resource: 'repository', action: a as RegistryAction }
    const [resource, action, ...rest] = a.split(':')
    if (!resource || !action || rest.length > 0) throw new UsageError(`unknown action ${JSON.stringify(a)}: use pull, push, delete or resource:action`)
    return { resource, action }
  })
}

export function parseDuration(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_DURATION_DAYS
  if (raw === 'never' || raw === '-1') return -1
  if (!/^\d+$/.test(raw)) throw new UsageError(`--duration must be a number of days or "never", not ${JSON.stringify(raw)}`)
  return Number(raw)
}

/** How a robot's permissions read in a table: `library=pull,push *=pull`. */
function permissionsText(permissions: RobotPermission[]): string {
  return permissions.map((p) => `${p.namespace}=${p.access.map((a) => (a.resource === 'repository' ? a.action : `${a.resource}:${a.action}`)).join(',')}`).join(' ')
}

async function list(inv: Invocation): Promise<void> {
  const projectName = str(inv.values, 'project')
  const robots = await withServices(inv, async (s, caller) => {
    let conditions: { key: string; op: 'eq'; value: string }[] = []
    if (projectName !== undefined) {
      const project = await s.stores.projects.get(projectName)
      if (project === null) throw new BerthError('NOT_FOUND', `project ${projectName} not found`)
      conditions = [{ key: 'project_id', op: 'eq', value: String(project.id) }]
    }
    return listAll((q) => s.robots.list(caller, q), { conditions })
  })
  const { robotJson } = await apiShapes()
  printList(
    inv,
    robots,
    ['ID', 'NAME', 'LEVEL', 'PERMISSIONS', 'DISABLED', 'EXPIRES'],
    (r) => [String(r.id), r.name, r.level, permissionsText(r.permissions), r.disabled ? 'yes' : 'no', r.expiresAt ?? 'never'],
    robotJson,
  )
}

async function create(inv: Invocation): Promise<void> {
  const [name] = inv.positionals as [string]
  const system = flag(inv.values, 'system')
  const project = str(inv.values, 'project')
  const projects = str(inv.values, 'projects')
  const rawActions = str(inv.values, 'actions')
  if (rawActions === undefined) throw new UsageError('--actions is required, e.g. --actions pull,push')
  if (system ? project !== undefined || projects === undefined : projects !== undefined || project === undefined) {
    throw new UsageError('give --project P for a project robot, or --system --projects p1,p2 (or "*") for a system robot')
  }
  const access = parseActions(rawActions)
  const namespaces = system ? commaList(projects!) : [project!]
  if (namespaces.length === 0) throw new UsageError('--projects needs at least one project name, or "*"')
  const duration = parseDuration(str(inv.values, 'duration'))
  const description = str(inv.values, 'description')
  const { robot, secret } = await withServices(inv, (s, caller) =>
    s.robots.create(caller, {
      name,
      level: system ? 'system' : 'project',
      duration,
      ...(description !== undefined ? { description } : {}),
      permissions: namespaces.map((namespace) => ({ kind: 'project', namespace, access })),
    }),
  )
  if (flag(inv.values, 'json')) {
    const { robotCreatedJson } = await apiShapes()
    inv.out(JSON.stringify(robotCreatedJson(robot, secret), null, 2) + '\n')
  } else {
    inv.out(`created robot account (id ${robot.id}, expires ${robot.expiresAt ?? 'never'})\nname: ${robot.name}\nsecret: ${secret}\n`)
  }
  inv.err('berth: the secret is shown only this once\n')
}

/** A robot by id, full name (`robot$...`) or name without the prefix. */
async function robotRef(s: Services, ref: string): Promise<Robot> {
  const robot = /^\d+$/.test(ref) ? await s.stores.robots.get(Number(ref)) : ((await s.stores.robots.getByName(ref)) ?? (await s.stores.robots.getByName(`${ROBOT_PREFIX}${ref}`)))
  if (robot === null) throw new BerthError('NOT_FOUND', `robot account ${ref} not found`)
  return robot
}

async function remove(inv: Invocation): Promise<void> {
  const [ref] = inv.positionals as [string]
  const robot = await withServices(inv, async (s, caller) => {
    const r = await robotRef(s, ref)
    await s.robots.delete(caller, r.id)
    return r
  })
  inv.out(`deleted robot account "${robot.name}" (id ${robot.id})\n`)
}

export const robotsGroup: Group = {
  name: 'robots',
  summary: 'manage robot accounts',
  commands: [
    {
      name: 'list',
      summary: 'list robot accounts',
      usage: 'list [--project P] [--json]',
      details: `  --project P   only the project robots of project P
  --json        print the robots as a JSON array (the /api/v2.0/robots shape)`,
      options: { project: { type: 'string', short: 'p' }, ...JSON_OPTION },
      args: [],
      run: list,
    },
    {
      name: 'create',
      summary: 'create a robot account and print its secret once',
      usage: 'create <name> (--project P | --system --projects p1,p2|*) --actions pull,push [--duration DAYS]',
      details: `Creates a project robot (named robot$<project>+<name>) or a system robot (robot$<name>) and
prints its name and secret; the secret is shown only this once.
  --project P          the project of a project robot
  --system             create a system robot instead ...
  --projects LIST      ... with these permissions in each listed project, or in every project ("*")
  --actions LIST       what it may do: pull, push, delete (repository actions) or resource:action
                       (e.g. artifact:list, tag:create); comma-separated
  --duration DAYS      days until it expires, or "never" (default: ${DEFAULT_DURATION_DAYS})
  --description TEXT   a description
  --json               print {id, name, secret, creation_time, expires_at} as JSON`,
      options: {
        project: { type: 'string', short: 'p' },
        system: { type: 'boolean' },
        projects: { type: 'string' },
        actions: { type: 'string' },
        duration: { type: 'string' },
        description: { type: 'string' },
        ...JSON_OPTION,
      },
      args: ['name'],
      run: create,
    },
    {
      name: 'delete',
      summary: 'delete a robot account',
      usage: 'delete <id|name>',
      details: `Deletes a robot account given by id, by full name (robot$...) or by name without "robot$".`,
      options: {},
      args: ['id|name'],
      run: remove,
    },
  ],
}
