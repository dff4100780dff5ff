// berth projects list|create|delete: projects through ProjectService, as `cli` (projects it
// creates are owned by admin, who becomes their Project Admin).
import { apiShapes, flag, JSON_OPTION, listAll, printList, withServices, type Group, type Invocation } from './common.js'

async function list(inv: Invocation): Promise<void> {
  const projects = await withServices(inv, (s, caller) => listAll((q) => s.projects.list(caller, q)))
  const { projectJson } = await apiShapes()
  printList(
    inv,
    projects,
    ['ID', 'NAME', 'PUBLIC', 'REPOSITORIES', 'OWNER', 'CREATED'],
    (p) => [String(p.id), p.name, p.public ? 'yes' : 'no', String(p.repoCount), p.ownerName ?? '', p.createdAt],
    projectJson,
  )
}

async function create(inv: Invocation): Promise<void> {
  const [name] = inv.positionals as [string]
  const isPublic = flag(inv.values, 'public')
  const project = await withServices(inv, (s, caller) => s.projects.create(caller, name, { metadata: { public: isPublic } }))
  inv.out(`created ${isPublic ? 'public' : 'private'} project "${project.name}" (id ${project.id})\n`)
}

async function remove(inv: Invocation): Promise<void> {
  const [name] = inv.positionals as [string]
  await withServices(inv, (s, caller) => s.projects.delete(caller, { name }))
  inv.out(`deleted project "${name}"\n`)
}

export const projectsGroup: Group = {
  name: 'projects',
  summary: 'manage projects',
  commands: [
    {
      name: 'list',
      summary: 'list the projects',
      usage: 'list [--json]',
      details: `  --json    print the projects as a JSON array (the /api/v2.0/projects shape)`,
      options: JSON_OPTION,
      args: [],
      run: list,
    },
    {
      name: 'create',
      summary: 'create a project',
      usage: 'create <name> [--public]',
      details: `Creates a project owned by admin. Names are lower-case letters and digits separated by
'.', '_' or '-'.
  --public    anyone may pull from it (default: private)`,
      options: { public: { type: 'boolean' } },
      args: ['name'],
      run: create,
    },
    {
      name: 'delete',
      summary: 'delete an empty project',
      usage: 'delete <name>',
      details: `Deletes a project that has no repositories; its members and robot accounts go with it.`,
      options: {},
      args: ['name'],
      run: remove,
    },
  ],
}
