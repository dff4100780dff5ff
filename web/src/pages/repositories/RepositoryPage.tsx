// A repository: its description (Markdown, edited by those allowed) and its artifacts, filtered
// by tag, sorted and paged by the server, with pull commands, labels and deletion.
import { useState } from 'react'
import { Link, useParams } from 'react-router'
import { useTranslation } from 'react-i18next'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { ActionGroup, Breadcrumb, Content, BreadcrumbItem, Button, Card, CardBody, CardHeader, CardTitle, Form, FormGroup, Modal, ModalBody, ModalHeader, PageSection, TextArea, Title } from '@patternfly/react-core'
import { ActionsColumn } from '@patternfly/react-table'
import { api, ok, page } from '../../api/client'
import { ConfirmDialog } from '../../components/ConfirmDialog'
import { ErrorAlert } from '../../components/ErrorAlert'
import { Markdown } from '../../components/Markdown'
import { ServerTable, type Column } from '../../components/ServerTable'
import { fuzzyQ, pagingQuery } from '../../components/list-params'
import { useToast } from '../../components/Toasts'
import { useFormat } from '../../lib/format'
import { anyRunning } from '../security/severity'
import { ScanCell } from '../security/ScanCells'
import { SCAN_POLL_MS, SignedCell, useScanActions } from '../security/ScanActions'
import { useProject } from '../projects/project-context'
import { repoParams, repoUrl, shortDigest, type Artifact } from './artifacts'
import { AccessoriesCell, KindCell, LabelsCell, TagsCell, tagsQuery } from './cells'
import { LabelsModal } from './LabelsModal'
import { PullCommands } from './PullCommands'
import { ModalClose } from '../../components/ModalClose'
import { useAction } from '../../components/use-action'

export default function RepositoryPage() {
  const { t } = useTranslation()
  const { repo } = useParams()
  const { project } = useProject()
  const fullName = `${project.name}/${repo!}`
  return (
    <>
      <PageSection>
        <Breadcrumb aria-label={t('common.breadcrumb')}>
          <BreadcrumbItem render={() => <Link to={`/projects/${project.project_id}/repositories`}>{t('repositories.title')}</Link>} />
          <BreadcrumbItem isActive>{repo}</BreadcrumbItem>
        </Breadcrumb>
        <Title headingLevel="h2">
          {fullName}
        </Title>
      </PageSection>
      <PageSection>
        <Description repo={repo!} />
      </PageSection>
      <PageSection>
        <Artifacts repo={repo!} />
      </PageSection>
    </>
  )
}

function Description({ repo }: { repo: string }) {
  const { t } = useTranslation()
  const toast = useToast()
  const client = useQueryClient()
  const { project, can } = useProject()
  const key = ['repository', project.name, repo]
  const q = useQuery({ queryKey: key, queryFn: async () => ok(await api.GET('/api/v2.0/projects/{project_name}/repositories/{repository_name}', { params: { path: repoParams(project.name, repo) } })) })
  const [draft, setDraft] = useState<string | null>(null)
  const { busy, error, run } = useAction()
  const save = async () => {
    await run(async () => {
      ok(await api.PUT('/api/v2.0/projects/{project_name}/repositories/{repository_name}', { params: { path: repoParams(project.name, repo) }, body: { description: draft ?? '' } }))
      toast('success', t('repositories.description.saved'))
      setDraft(null)
      await client.invalidateQueries({ queryKey: key })
    })
  }
  return (
    <Card>
      <CardHeader
        actions={
          can('repository', 'update') && q.data !== undefined && draft === null
            ? {
                actions: (
                  <Button variant="secondary" onClick={() => setDraft(q.data.description)}>
                    {t('repositories.description.edit')}
                  </Button>
                ),
              }
            : undefined
        }
      >
        <CardTitle component="h3">{t('repositories.description.title')}</CardTitle>
      </CardHeader>
      <CardBody>
        {q.error !== null && <ErrorAlert error={q.error} />}
        {draft === null ? (
          q.data !== undefined && (q.data.description.trim() === '' ? (
              <p className="berth-repo-muted">{t('repositories.description.none')}</p>
            ) : (
              <Content>
                <Markdown source={q.data.description} />
              </Content>
            ))
        ) : (
          <Form
            onSubmit={(e) => {
              e.preventDefault()
              void save()
            }}
          >
            <FormGroup label={t('repositories.description.label')} fieldId="repo-description">
              <TextArea id="repo-description" value={draft} onChange={(_e, v) => setDraft(v)} rows={8} maxLength={4096} resizeOrientation="vertical" />
            </FormGroup>
            {error !== null && <ErrorAlert error={error} />}
            <ActionGroup>
              <Button type="submit" variant="primary" isLoading={busy} isDisabled={busy}>
                {t('common.save')}
              </Button>
              <Button variant="link" onClick={() => setDraft(null)}>
                {t('common.cancel')}
              </Button>
            </ActionGroup>
          </Form>
        )}
      </CardBody>
    </Card>
  )
}

/** The artifact list asks for no tags (an artifact may have 100,000): each row fetches its first few. */
const LIST_OPTIONS = { with_tag: false, with_label: true, with_accessory: true, with_scan_overview: true } as const

function Artifacts({ repo }: { repo: string }) {
  const { t } = useTranslation()
  const f = useFormat()
  const toast = useToast()
  const client = useQueryClient()
  const { project, can } = useProject()
  const fullName = `${project.name}/${repo}`
  const listKey = ['artifacts', project.name, repo] as const
  const [deleting, setDeleting] = useState<{ artifacts: Artifact[]; done: () => void } | null>(null)
  const [labelling, setLabelling] = useState<{ artifacts: Artifact[]; done: () => void } | null>(null)
  const [pulling, setPulling] = useState<Artifact | null>(null)
  const canDelete = can('artifact', 'delete')
  const canLabel = can('artifact', 'create')
  const scans = useScanActions(project.name, repo, can, listKey)
  const [scanning, setScanning] = useState(false)
  const refresh = async () => {
    await client.invalidateQueries({ queryKey: listKey })
    await client.invalidateQueries({ queryKey: ['repository', project.name, repo] })
  }

  const columns: Column<Artifact>[] = [
    {
      key: 'digest',
      title: t('repositories.col.digest'),
      render: (a) => (
        <Link to={repoUrl(project.project_id, repo, a.digest)} className="berth-repo-digest">
          {shortDigest(a.digest)}
        </Link>
      ),
    },
    { key: 'tags', title: t('repositories.col.tags'), render: (a) => <TagsCell projectName={project.name} projectId={project.project_id} repo={repo} digest={a.digest} /> },
    { key: 'kind', title: t('repositories.col.kind'), render: (a) => <KindCell artifact={a} /> },
    { key: 'size', title: t('repositories.col.size'), sort: 'size', modifier: 'nowrap', render: (a) => f.bytes(a.size) },
    { key: 'accessories', title: t('repositories.col.accessories'), modifier: 'wrap', render: (a) => <AccessoriesCell accessories={a.accessories} projectId={project.project_id} repo={repo} /> },
    { key: 'vulnerabilities', title: t('security.col.vulnerabilities'), modifier: 'wrap', render: (a) => <ScanCell overview={a.scan_overview} /> },
    { key: 'signed', title: t('security.col.signed'), render: (a) => <SignedCell accessories={a.accessories} /> },
    { key: 'labels', title: t('repositories.col.labels'), render: (a) => <LabelsCell labels={a.labels} /> },
    { key: 'pushed', title: t('repositories.col.pushed'), sort: 'push_time', modifier: 'wrap', render: (a) => f.dateTime(a.push_time) },
    { key: 'pulled', title: t('repositories.col.pulled'), sort: 'pull_time', modifier: 'wrap', render: (a) => f.dateTime(a.pull_time) },
  ]

  const remove = async (artifacts: Artifact[]) => {
    let deleted = 0
    try {
      for (const a of artifacts) {
        ok(await api.DELETE('/api/v2.0/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}', { params: { path: { ...repoParams(project.name, repo), reference: a.digest } } }))
        deleted++
      }
    } finally {
      if (deleted > 0) toast('success', t('repositories.artifacts.deleted', { count: deleted }))
      await refresh()
    }
  }

  return (
    <>
      <Title headingLevel="h3">{t('repositories.artifacts.title')}</Title>
      <ServerTable<Artifact>
        label={t('repositories.artifacts.title')}
        columns={columns}
        queryKey={listKey}
        rowKey={(a) => a.id}
        filterLabel={t('repositories.artifacts.filter')}
        defaultSort="-push_time"
        emptyText={t('repositories.artifacts.empty')}
        fetchPage={async (params) => {
          const found = page(
            await api.GET('/api/v2.0/projects/{project_name}/repositories/{repository_name}/artifacts', {
              params: { path: repoParams(project.name, repo), query: { ...pagingQuery(params), ...fuzzyQ('tags', params.filter), ...LIST_OPTIONS } },
            }),
          )
          setScanning(anyRunning(found.items.map((a) => a.scan_overview)))
          return found
        }}
        {...(scanning ? { refetchInterval: SCAN_POLL_MS } : {})}
        bulkActions={
          canDelete || canLabel || scans.any
            ? (selected, clear) => (
                <>
                  {scans.buttons(
                    selected.map((a) => a.digest),
                    clear,
                  )}
                  {canLabel && (
                    <Button variant="secondary" onClick={() => setLabelling({ artifacts: selected, done: clear })}>
                      {t('repositories.labels.open', { count: selected.length })}
                    </Button>
                  )}
                  {canDelete && (
                    <Button variant="danger" onClick={() => setDeleting({ artifacts: selected, done: clear })}>
                      {t('repositories.artifacts.deleteSelected', { count: selected.length })}
                    </Button>
                  )}
                </>
              )
            : undefined
        }
        rowActions={(a) => (
          <ActionsColumn
            items={[
              { title: t('repositories.pull.open'), onClick: () => setPulling(a) },
              ...(canDelete ? [{ title: t('repositories.artifacts.deleteOne'), onClick: () => setDeleting({ artifacts: [a], done: () => {} }) }] : []),
            ]}
            actionsToggle={({ toggleRef, onToggle, isOpen }) => (
              <Button ref={toggleRef} variant="plain" onClick={onToggle} aria-expanded={isOpen} aria-label={t('repositories.artifacts.actionsFor', { digest: shortDigest(a.digest) })}>
                ⋮
              </Button>
            )}
          />
        )}
      />
      {pulling !== null && <PullModal fullName={fullName} projectName={project.name} repo={repo} artifact={pulling} onClose={() => setPulling(null)} />}
      {labelling !== null && (
        <LabelsModal
          projectName={project.name}
          projectId={project.project_id}
          repo={repo}
          selected={labelling.artifacts}
          onClose={() => setLabelling(null)}
          onDone={async (changed) => {
            toast('success', t('repositories.labels.done', { count: changed }))
            labelling.done()
            await refresh()
          }}
        />
      )}
      {deleting !== null && (
        <ConfirmDialog
          title={t('repositories.artifacts.deleteTitle', { count: deleting.artifacts.length })}
          confirmLabel={t('repositories.artifacts.deleteConfirm')}
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await remove(deleting.artifacts)
            deleting.done()
          }}
        >
          <p>{t('repositories.artifacts.deleteBody', { count: deleting.artifacts.length })}</p>
          <ul>
            {deleting.artifacts.slice(0, 10).map((a) => (
              <li key={a.id} className="berth-mono">
                {shortDigest(a.digest)}
              </li>
            ))}
          </ul>
          {deleting.artifacts.length > 10 && <p>{t('repositories.delete.more', { count: deleting.artifacts.length - 10 })}</p>}
        </ConfirmDialog>
      )}
    </>
  )
}

/** The tags the pull dialog offers a command for, besides the digest. */
const PULL_TAGS = 3

/** An artifact's pull commands, by its first tags and by digest. */
function PullModal({ fullName, projectName, repo, artifact, onClose }: { fullName: string; projectName: string; repo: string; artifact: Artifact; onClose(): void }) {
  const { t } = useTranslation()
  const tags = useQuery(tagsQuery(projectName, repo, artifact.digest))
  return (
    <Modal isOpen variant="medium" onEscapePress={onClose} aria-labelledby="pull-title">
      <ModalClose onClose={onClose} />
      <ModalHeader title={t('repositories.pull.title')} labelId="pull-title" description={<span className="berth-mono">{`${fullName}@${shortDigest(artifact.digest)}`}</span>} />
      <ModalBody>
        {tags.error !== null && <ErrorAlert error={tags.error} />}
        <PullCommands fullName={fullName} tags={(tags.data?.items ?? []).slice(0, PULL_TAGS).map((x) => x.name)} digest={artifact.digest} />
      </ModalBody>
    </Modal>
  )
}
