// A project's repositories: searched by name, sorted and paged by the server; deleted one at a
// time or several at once, after a confirmation.
import { useState } from 'react'
import { Link } from 'react-router'
import { useTranslation } from 'react-i18next'
import { useQueryClient } from '@tanstack/react-query'
import { Button, PageSection } from '@patternfly/react-core'
import { ActionsColumn } from '@patternfly/react-table'
import { api, ok, page } from '../../api/client'
import { ConfirmDialog } from '../../components/ConfirmDialog'
import { ServerTable, type Column } from '../../components/ServerTable'
import { fuzzyQ, pagingQuery } from '../../components/list-params'
import { useToast } from '../../components/Toasts'
import { useFormat } from '../../lib/format'
import { useProject } from '../projects/project-context'
import { repoInProject, repoParams, repoUrl, type Repository } from './artifacts'

export default function RepositoryList() {
  const { t } = useTranslation()
  const f = useFormat()
  const toast = useToast()
  const client = useQueryClient()
  const { project, can } = useProject()
  const [deleting, setDeleting] = useState<{ repos: Repository[]; done: () => void } | null>(null)
  const listKey = ['repositories', project.project_id] as const
  const canDelete = can('repository', 'delete')

  const columns: Column<Repository>[] = [
    { key: 'name', title: t('repositories.col.name'), sort: 'name', render: (r) => <Link to={repoUrl(project.project_id, repoInProject(r.name, project.name))}>{r.name}</Link> },
    { key: 'artifacts', title: t('repositories.col.artifacts'), render: (r) => f.number(r.artifact_count) },
    { key: 'pulls', title: t('repositories.col.pulls'), sort: 'pull_count', render: (r) => f.number(r.pull_count) },
    { key: 'updated', title: t('repositories.col.updated'), sort: 'update_time', render: (r) => f.dateTime(r.update_time) },
  ]

  const remove = async (repos: Repository[]) => {
    // One at a time, so that what was deleted before a refusal is reported as deleted.
    let deleted = 0
    try {
      for (const r of repos) {
        ok(await api.DELETE('/api/v2.0/projects/{project_name}/repositories/{repository_name}', { params: { path: repoParams(project.name, repoInProject(r.name, project.name)) } }))
        deleted++
      }
    } finally {
      if (deleted > 0) toast('success', t('repositories.delete.done', { count: deleted }))
      await client.invalidateQueries({ queryKey: listKey })
      await client.invalidateQueries({ queryKey: ['project', String(project.project_id)] })
    }
  }

  return (
    <PageSection>
      <ServerTable<Repository>
        label={t('repositories.title')}
        columns={columns}
        queryKey={listKey}
        rowKey={(r) => r.id}
        filterLabel={t('repositories.filter')}
        defaultSort="name"
        emptyText={t('repositories.empty')}
        fetchPage={async (params) =>
          page(await api.GET('/api/v2.0/projects/{project_name}/repositories', { params: { path: { project_name: project.name }, query: { ...pagingQuery(params), ...fuzzyQ('name', params.filter) } } }))
        }
        bulkActions={
          canDelete
            ? (selected, clear) => (
                <Button variant="danger" onClick={() => setDeleting({ repos: selected, done: clear })}>
                  {t('repositories.delete.selected', { count: selected.length })}
                </Button>
              )
            : undefined
        }
        rowActions={
          canDelete
            ? (r) => (
                <ActionsColumn
                  items={[{ title: t('repositories.delete.one'), onClick: () => setDeleting({ repos: [r], done: () => {} }) }]}
                  actionsToggle={({ toggleRef, onToggle, isOpen }) => (
                    <Button ref={toggleRef} variant="plain" onClick={onToggle} aria-expanded={isOpen} aria-label={t('repositories.actionsFor', { name: r.name })}>
                      ⋮
                    </Button>
                  )}
                />
              )
            : undefined
        }
      />
      {deleting !== null && (
        <ConfirmDialog
          title={t('repositories.delete.title', { count: deleting.repos.length })}
          confirmLabel={t('repositories.delete.confirm')}
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await remove(deleting.repos)
            deleting.done()
          }}
        >
          <p>{t('repositories.delete.body', { count: deleting.repos.length })}</p>
          <ul>
            {deleting.repos.slice(0, 10).map((r) => (
              <li key={r.id} className="berth-mono">
                {r.name}
              </li>
            ))}
          </ul>
          {deleting.repos.length > 10 && <p>{t('repositories.delete.more', { count: deleting.repos.length - 10 })}</p>}
        </ConfirmDialog>
      )}
    </PageSection>
  )
}
