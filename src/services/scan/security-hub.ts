// The security hub (Harbor's /security/summary and /security/vul, system administrators only, over
// the default scanner's reports) and Berth's "which artifacts does this CVE affect, and which
// scanned ones in the same repositories do not have it" (any caller, over the projects they may
// pull from).
import type { Caller } from '../../auth/identity.js'
import type { AccessController } from '../../auth/access.js'
import { BerthError } from '../../lib/errors.js'
import type { ListQuery } from '../../metadata/list-query.js'
import type { ProjectFilter, VulnerabilityStore, HubSummary, DangerousCve, DangerousArtifact, ArtifactFinding, CveArtifact } from '../../metadata/vulnerability-store.js'
import type { ProjectService } from '../identity/project-service.js'
import { requireSignedIn, requireSysadmin } from '../identity/guards.js'
import { CVE_ID_MAX, CVE_ID_PATTERN } from '../identity/project-metadata.js'

/** Harbor's top-N of the summary. */
const TOP = 5
/** Past this many matches, tune_count answers -1 instead of counting on (Harbor's rule). */
export const TUNE_COUNT_LIMIT = 1000
/** Projects a caller's scope is computed over, at most. */
const MAX_PROJECTS = 10_000

export interface SummaryView extends HubSummary {
  dangerousCves?: DangerousCve[]
  dangerousArtifacts?: DangerousArtifact[]
}

export class SecurityHub {
  constructor(private readonly o: { vulnerabilities: VulnerabilityStore; projects: ProjectService; access: AccessController }) {}

  async summary(caller: Caller, o: { withDangerousCve: boolean; withDangerousArtifact: boolean }): Promise<SummaryView> {
    requireSysadmin(caller)
    const store = this.o.vulnerabilities
    const scanner = await store.defaultScanner()
    const all: ProjectFilter = { all: true }
    const out: SummaryView = await store.summary(scanner, all)
    if (o.withDangerousCve) out.dangerousCves = scanner === null ? [] : await store.dangerousCves(scanner, all, TOP)
    if (o.withDangerousArtifact) out.dangerousArtifacts = scanner === null ? [] : await store.dangerousArtifacts(scanner, all, TOP)
    return out
  }

  /** A page of findings; `tuneCount` stops counting past TUNE_COUNT_LIMIT (total -1). */
  async vulnerabilities(caller: Caller, q: ListQuery, o: { tuneCount: boolean }): Promise<{ items: ArtifactFinding[]; total: number }> {
    requireSysadmin(caller)
    const scanner = await this.o.vulnerabilities.defaultScanner()
    if (scanner === null) return { items: [], total: 0 }
    const tags = q.conditions.filter((c) => c.key === 'tag')
    if (tags.some((c) => c.op !== 'eq') || tags.length > 1) throw new BerthError('BAD_REQUEST', 'tag takes one exact value')
    const tag = tags[0]?.op === 'eq' ? tags[0].value : undefined
    const rest = { ...q, conditions: q.conditions.filter((c) => c.key !== 'tag') }
    const page = await this.o.vulnerabilities.findings(scanner, { all: true }, rest, { ...(tag !== undefined ? { tag } : {}), ...(o.tuneCount ? { countLimit: TUNE_COUNT_LIMIT } : {}) })
    return o.tuneCount && page.total > TUNE_COUNT_LIMIT ? { ...page, total: -1 } : page
  }

  /** Tags of the artifacts of a page, by artifact id. */
  tagsOf(artifactIds: number[]): Promise<Map<number, string[]>> {
    return this.o.vulnerabilities.tagsOf(artifactIds)
  }

  /** The scanned artifacts of the repositories where `cveId` was found, within what the caller may pull. */
  async cveArtifacts(caller: Caller, cveId: string, page: { page: number; pageSize: number }): Promise<{ items: CveArtifact[]; total: number }> {
    requireSignedIn(caller)
    if (cveId.length > CVE_ID_MAX || !new RegExp(CVE_ID_PATTERN).test(cveId)) throw new BerthError('BAD_REQUEST', `${JSON.stringify(cveId.slice(0, CVE_ID_MAX))} is not a CVE id`)
    return this.o.vulnerabilities.cveArtifacts(cveId, await this.readable(caller), page)
  }

  /** The projects whose vulnerability data the caller may see: those they may pull from. */
  async readable(caller: Caller): Promise<ProjectFilter> {
    if (caller.kind === 'user' && caller.sysadmin) return { all: true }
    // Robots see no project list: their grants say where they may pull.
    if (caller.kind === 'robot') {
      const scope = await this.o.access.readScope(caller)
      return scope.all ? { all: true } : { all: false, projectIds: scope.projectIds ?? [] }
    }
    const visible = await this.o.projects.list(caller, { conditions: [], sort: [], page: 1, pageSize: MAX_PROJECTS })
    const projectIds: number[] = []
    for (const p of visible.items) if ((await this.o.access.permissions(caller, p, p.roleIds)).has('repository:pull')) projectIds.push(p.id)
    return { all: false, projectIds }
  }
}
