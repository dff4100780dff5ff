// An artifact: what it is (digest, media type, size, times, annotations, labels), how to pull
// it, its tags (paged by the server; added and removed where allowed), its layers and build
// history, the platforms of an index, its referrers, and its manifest and config as JSON.
import { useState, type ReactNode } from 'react'
import { Link, useNavigate, useParams, useSearchParams } from 'react-router'
import { useTranslation } from 'react-i18next'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import {
  Button,
  Card,
  CardBody,
  CardTitle,
  ClipboardCopy,
  ClipboardCopyButton,
  CodeBlock,
  CodeBlockAction,
  CodeBlockCode,
  DescriptionList,
  DescriptionListDescription,
  DescriptionListGroup,
  DescriptionListTerm,
  EmptyState,
  Flex,
  FlexItem,
  Form,
  FormGroup,
  FormHelperText,
  HelperText,
  HelperTextItem,
  Label,
  Modal,
  ModalBody,
  ModalFooter,
  ModalHeader,
  PageSection,
  Spinner,
  Tab,
  Tabs,
  TabTitleText,
  TextInput,
  Title,
  Breadcrumb,
  BreadcrumbItem,
} from '@patternfly/react-core'
import { ActionsColumn, Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table'
import { api, ok, page } from '../../api/client'
import { ConfirmDialog } from '../../components/ConfirmDialog'
import { ErrorAlert } from '../../components/ErrorAlert'
import { ServerTable, type Column } from '../../components/ServerTable'
import { fuzzyQ, pagingQuery } from '../../components/list-params'
import { useToast } from '../../components/Toasts'
import { useFormat } from '../../lib/format'
import { useProject } from '../projects/project-context'
import { historyWithLayers, platformText, repoParams, repoUrl, shortDigest, type Artifact, type HistoryEntry, type ManifestDoc } from './artifacts'
import { SbomTab, VulnerabilitiesTab } from '../security/ArtifactSecurity'
import { accessoryKey, KindCell, LabelsCell, tagsQuery } from './cells'
import { LabelsModal } from './LabelsModal'
import { PullCommands } from './PullCommands'
import { ModalClose } from '../../components/ModalClose'
import { useAction } from '../../components/use-action'

type Tag = NonNullable<Artifact['tags']>[number]
type AdditionName = 'manifest' | 'config' | 'build_history'

/** Docker's tag grammar: what a tag may be. */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/

/** The index children a page shows; an index with more is read from /v2/. */
const MAX_CHILDREN = 100

function useAddition<T>(projectName: string, repo: string, digest: string | undefined, addition: AdditionName, enabled: boolean) {
  return useQuery({
    queryKey: ['addition', projectName, repo, digest, addition],
    enabled: enabled && digest !== undefined,
    staleTime: Infinity,
    queryFn: async () =>
      ok(await api.GET('/api/v2.0/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}/additions/{addition}', { params: { path: { ...repoParams(projectName, repo), reference: digest!, addition } } })) as T,
  })
}

export default function ArtifactPage() {
  const { t } = useTranslation()
  const toast = useToast()
  const navigate = useNavigate()
  const client = useQueryClient()
  const { repo, reference } = useParams() as { repo: string; reference: string }
  const { project, can } = useProject()
  const [search, setSearch] = useSearchParams()
  const [deleting, setDeleting] = useState(false)
  const [labelling, setLabelling] = useState(false)
  const fullName = `${project.name}/${repo}`
  const key = ['artifact', project.name, repo, reference]
  const q = useQuery({
    queryKey: key,
    queryFn: async () =>
      ok(await api.GET('/api/v2.0/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}', { params: { path: { ...repoParams(project.name, repo), reference }, query: { with_tag: false, with_label: true, with_accessory: true, with_scan_overview: true, with_sbom_overview: true } } })),
  })
  const a = q.data
  const manifest = useAddition<ManifestDoc>(project.name, repo, a?.digest, 'manifest', true)
  const doc = manifest.data
  const isIndex = a !== undefined && /index|manifest\.list/.test(a.manifest_media_type)
  const hasJsonConfig = doc?.config !== undefined && /json$/.test(doc.config.mediaType ?? '')
  const hasHistory = a !== undefined && a.addition_links.build_history !== undefined
  const firstTags = useQuery({ ...tagsQuery(project.name, repo, a?.digest ?? ''), enabled: a !== undefined && reference.includes(':') })
  const tab = search.get('tab') ?? 'overview'
  // By the tag the page was opened with, else by the artifact's first tag.
  const pullTags = !reference.includes(':') ? [reference] : (firstTags.data?.items ?? []).slice(0, 1).map((x) => x.name)

  if (q.error !== null)
    return (
      <PageSection>
        <ErrorAlert error={q.error} />
      </PageSection>
    )
  if (a === undefined)
    return (
      <PageSection>
        <Spinner aria-valuetext={t('common.loading')} aria-label={t('common.loading')} />
      </PageSection>
    )

  const tabs: [string, string, ReactNode][] = [
    ['overview', t('repositories.detail.tab.overview'), <Overview artifact={a} doc={doc} onEditLabels={can('artifact', 'create') ? () => setLabelling(true) : undefined} />],
    ['tags', t('repositories.detail.tab.tags'), <Tags artifact={a} repo={repo} />],
    ...(isIndex ? [['platforms', t('repositories.detail.tab.platforms'), <Children artifact={a} doc={doc} repo={repo} />] as [string, string, ReactNode]] : []),
    ...(!isIndex ? [['layers', t('repositories.detail.tab.layers'), <Layers doc={doc} error={manifest.error} />] as [string, string, ReactNode]] : []),
    ...(hasHistory ? [['history', t('repositories.detail.tab.history'), <History repo={repo} artifact={a} doc={doc} />] as [string, string, ReactNode]] : []),
    ['vulnerabilities', t('security.vulns.title'), <VulnerabilitiesTab project={project} repo={repo} digest={a.digest} />],
    ['sbom', t('security.sbom.title'), <SbomTab projectId={project.project_id} repo={repo} overview={a.sbom_overview} />],
    ['referrers', t('repositories.detail.tab.referrers'), <Referrers artifact={a} repo={repo} />],
    ['manifest', t('repositories.detail.tab.manifest'), <Json id="manifest" value={doc} error={manifest.error} label={t('repositories.detail.tab.manifest')} />],
    ...(hasJsonConfig ? [['config', t('repositories.detail.tab.config'), <ConfigJson repo={repo} digest={a.digest} />] as [string, string, ReactNode]] : []),
  ]

  return (
    <>
      <PageSection>
        <Breadcrumb aria-label={t('common.breadcrumb')}>
          <BreadcrumbItem render={() => <Link to={`/projects/${project.project_id}/repositories`}>{t('repositories.title')}</Link>} />
          <BreadcrumbItem render={() => <Link to={repoUrl(project.project_id, repo)}>{repo}</Link>} />
          <BreadcrumbItem isActive>{reference.includes(':') ? shortDigest(reference) : reference}</BreadcrumbItem>
        </Breadcrumb>
        <Flex alignItems={{ default: 'alignItemsCenter' }} justifyContent={{ default: 'justifyContentSpaceBetween' }}>
          <FlexItem>
            <Title headingLevel="h2">{`${fullName}@${shortDigest(a.digest)}`}</Title>
          </FlexItem>
          {can('artifact', 'delete') && (
            <FlexItem>
              <Button variant="danger" onClick={() => setDeleting(true)}>
                {t('repositories.artifacts.deleteOne')}
              </Button>
            </FlexItem>
          )}
        </Flex>
      </PageSection>
      <PageSection>
        <Card>
          <CardTitle component="h3">{t('repositories.pull.title')}</CardTitle>
          <CardBody>
            <PullCommands fullName={fullName} tags={pullTags} digest={a.digest} />
          </CardBody>
        </Card>
      </PageSection>
      <PageSection>
        <Tabs activeKey={tab} onSelect={(_e, k) => setSearch({ tab: String(k) }, { replace: true })} aria-label={t('repositories.detail.tabs')} mountOnEnter>
          {tabs.map(([k, title, body]) => (
            <Tab key={k} eventKey={k} title={<TabTitleText>{title}</TabTitleText>}>
              <div className="berth-repo-tab">{body}</div>
            </Tab>
          ))}
        </Tabs>
      </PageSection>
      {deleting && (
        <ConfirmDialog
          title={t('repositories.artifacts.deleteTitle', { count: 1 })}
          confirmLabel={t('repositories.artifacts.deleteConfirm')}
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            ok(await api.DELETE('/api/v2.0/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}', { params: { path: { ...repoParams(project.name, repo), reference: a.digest } } }))
            toast('success', t('repositories.artifacts.deleted', { count: 1 }))
            await client.invalidateQueries({ queryKey: ['artifacts', project.name, repo] })
            navigate(repoUrl(project.project_id, repo))
          }}
        >
          <p>{t('repositories.artifacts.deleteBody', { count: 1 })}</p>
          <p className="berth-mono">{a.digest}</p>
        </ConfirmDialog>
      )}
      {labelling && (
        <LabelsModal
          projectName={project.name}
          projectId={project.project_id}
          repo={repo}
          selected={[a]}
          onClose={() => setLabelling(false)}
          onDone={async (changed) => {
            toast('success', t('repositories.labels.done', { count: changed }))
            await client.invalidateQueries({ queryKey: key })
          }}
        />
      )}
    </>
  )
}

function Overview({ artifact: a, doc, onEditLabels }: { artifact: Artifact; doc: ManifestDoc | undefined; onEditLabels: (() => void) | undefined }) {
  const { t } = useTranslation()
  const f = useFormat()
  const { project } = useProject()
  const { repo } = useParams() as { repo: string }
  const annotations = Object.entries(a.annotations)
  const row = (term: string, value: ReactNode) => (
    <DescriptionListGroup>
      <DescriptionListTerm>{term}</DescriptionListTerm>
      <DescriptionListDescription>{value}</DescriptionListDescription>
    </DescriptionListGroup>
  )
  return (
    <>
      <DescriptionList isHorizontal>
        {row(
          t('repositories.detail.digest'),
          <ClipboardCopy isReadOnly isCode variant="inline-compact" hoverTip={t('repositories.pull.copy')} clickTip={t('repositories.pull.copied')} copyAriaLabel={t('repositories.detail.copyDigest')}>
            {a.digest}
          </ClipboardCopy>,
        )}
        {row(t('repositories.col.kind'), <KindCell artifact={a} />)}
        {row(t('repositories.detail.mediaType'), <span className="berth-mono">{a.manifest_media_type}</span>)}
        {a.artifact_type !== '' && row(t('repositories.detail.artifactType'), <span className="berth-mono">{a.artifact_type}</span>)}
        {row(t('repositories.col.size'), f.bytes(a.size))}
        {row(t('repositories.col.pushed'), f.dateTime(a.push_time))}
        {row(t('repositories.col.pulled'), f.dateTime(a.pull_time))}
        {doc?.subject !== undefined &&
          row(
            t('repositories.detail.subject'),
            <Link to={repoUrl(project.project_id, repo, doc.subject.digest)} className="berth-repo-digest">
              {shortDigest(doc.subject.digest)}
            </Link>,
          )}
        {row(
          t('repositories.col.labels'),
          <Flex alignItems={{ default: 'alignItemsCenter' }}>
            <FlexItem>
              <LabelsCell labels={a.labels} />
            </FlexItem>
            {onEditLabels !== undefined && (
              <FlexItem>
                <Button variant="link" isInline onClick={onEditLabels}>
                  {t('repositories.labels.edit')}
                </Button>
              </FlexItem>
            )}
          </Flex>,
        )}
      </DescriptionList>
      <Title headingLevel="h3" className="berth-repo-section">
        {t('repositories.detail.annotations')}
      </Title>
      {annotations.length === 0 ? (
        <p>{t('repositories.detail.noAnnotations')}</p>
      ) : (
        <Table variant="compact" aria-label={t('repositories.detail.annotations')}>
          <Thead>
            <Tr>
              <Th>{t('repositories.detail.key')}</Th>
              <Th>{t('repositories.detail.value')}</Th>
            </Tr>
          </Thead>
          <Tbody>
            {annotations.map(([k, v]) => (
              <Tr key={k}>
                <Td className="berth-mono">{k}</Td>
                <Td className="berth-mono">{v}</Td>
              </Tr>
            ))}
          </Tbody>
        </Table>
      )}
    </>
  )
}

function Tags({ artifact: a, repo }: { artifact: Artifact; repo: string }) {
  const { t } = useTranslation()
  const f = useFormat()
  const toast = useToast()
  const client = useQueryClient()
  const { project, can } = useProject()
  const [adding, setAdding] = useState(false)
  const [removing, setRemoving] = useState<Tag | null>(null)
  const listKey = ['tags', project.name, repo, a.digest] as const
  const refresh = async () => {
    await client.invalidateQueries({ queryKey: listKey })
    await client.invalidateQueries({ queryKey: ['artifact-tags', project.name, repo, a.digest] })
  }
  const columns: Column<Tag>[] = [
    { key: 'name', title: t('repositories.col.tag'), sort: 'name', render: (x) => <span className="berth-mono">{x.name}</span> },
    { key: 'immutable', title: t('repositories.detail.immutable'), render: (x) => (x.immutable ? <Label isCompact color="orange">{t('repositories.detail.immutable')}</Label> : '—') },
    { key: 'pushed', title: t('repositories.col.pushed'), sort: 'push_time', render: (x) => f.dateTime(x.push_time) },
    { key: 'pulled', title: t('repositories.col.pulled'), sort: 'pull_time', render: (x) => f.dateTime(x.pull_time) },
  ]
  return (
    <>
      <ServerTable<Tag>
        prefix="tag_"
        label={t('repositories.detail.tab.tags')}
        columns={columns}
        queryKey={listKey}
        rowKey={(x) => x.id}
        filterLabel={t('repositories.detail.filterTags')}
        defaultSort="name"
        emptyText={t('repositories.artifacts.untagged')}
        fetchPage={async (params) =>
          page(
            await api.GET('/api/v2.0/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}/tags', {
              params: { path: { ...repoParams(project.name, repo), reference: a.digest }, query: { ...pagingQuery(params), ...fuzzyQ('name', params.filter), with_immutable_status: true } },
            }),
          )
        }
        actions={
          can('tag', 'create') ? (
            <Button variant="primary" onClick={() => setAdding(true)}>
              {t('repositories.tag.add')}
            </Button>
          ) : undefined
        }
        rowActions={
          can('tag', 'delete')
            ? (x) => (
                <ActionsColumn
                  items={[{ title: t('repositories.tag.delete'), onClick: () => setRemoving(x) }]}
                  actionsToggle={({ toggleRef, onToggle, isOpen }) => (
                    <Button ref={toggleRef} variant="plain" onClick={onToggle} aria-expanded={isOpen} aria-label={t('repositories.tag.actionsFor', { tag: x.name })}>
                      ⋮
                    </Button>
                  )}
                />
              )
            : undefined
        }
      />
      {adding && (
        <AddTagModal
          onClose={() => setAdding(false)}
          onAdd={async (name) => {
            ok(await api.POST('/api/v2.0/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}/tags', { params: { path: { ...repoParams(project.name, repo), reference: a.digest } }, body: { name } }))
            toast('success', t('repositories.tag.added', { tag: name }))
            await refresh()
          }}
        />
      )}
      {removing !== null && (
        <ConfirmDialog
          title={t('repositories.tag.deleteTitle')}
          confirmLabel={t('repositories.tag.delete')}
          onClose={() => setRemoving(null)}
          onConfirm={async () => {
            ok(await api.DELETE('/api/v2.0/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}/tags/{tag_name}', { params: { path: { ...repoParams(project.name, repo), reference: a.digest, tag_name: removing.name } } }))
            toast('success', t('repositories.tag.deleted', { tag: removing.name }))
            await refresh()
          }}
        >
          {t('repositories.tag.deleteBody', { tag: removing.name })}
        </ConfirmDialog>
      )}
    </>
  )
}

function AddTagModal({ onClose, onAdd }: { onClose(): void; onAdd(name: string): Promise<void> }) {
  const { t } = useTranslation()
  const [name, setName] = useState('')
  const { busy, error, run } = useAction()
  const valid = TAG.test(name)
  const submit = async () => {
    await run(async () => {
      await onAdd(name)
      onClose()
    })
  }
  return (
    <Modal isOpen variant="small" onEscapePress={onClose} aria-labelledby="add-tag-title">
      <ModalClose onClose={onClose} />
      <ModalHeader title={t('repositories.tag.add')} labelId="add-tag-title" />
      <ModalBody>
        <Form
          id="add-tag-form"
          onSubmit={(e) => {
            e.preventDefault()
            if (valid) void submit()
          }}
        >
          <FormGroup label={t('repositories.tag.name')} fieldId="tag-name" isRequired>
            <TextInput id="tag-name" value={name} onChange={(_e, v) => setName(v)} validated={name === '' || valid ? 'default' : 'error'} isRequired />
            <FormHelperText>
              <HelperText>
                <HelperTextItem variant={name === '' || valid ? 'default' : 'error'}>{t('repositories.tag.nameHelp')}</HelperTextItem>
              </HelperText>
            </FormHelperText>
          </FormGroup>
          {error !== null && <ErrorAlert error={error} />}
        </Form>
      </ModalBody>
      <ModalFooter>
        <Button type="submit" form="add-tag-form" variant="primary" isLoading={busy} isDisabled={busy || !valid}>
          {t('repositories.tag.submit')}
        </Button>
        <Button variant="link" onClick={onClose}>
          {t('common.cancel')}
        </Button>
      </ModalFooter>
    </Modal>
  )
}

function Layers({ doc, error }: { doc: ManifestDoc | undefined; error: unknown }) {
  const { t } = useTranslation()
  const f = useFormat()
  if (error !== null) return <ErrorAlert error={error} />
  if (doc === undefined) return <Spinner aria-valuetext={t('common.loading')} aria-label={t('common.loading')} />
  const layers = doc.layers ?? []
  if (layers.length === 0) return <EmptyState titleText={t('repositories.detail.noLayers')} headingLevel="h3" />
  const total = layers.reduce((n, l) => n + l.size, 0)
  return (
    <Table variant="compact" aria-label={t('repositories.detail.tab.layers')}>
      <Thead>
        <Tr>
          <Th>#</Th>
          <Th>{t('repositories.col.digest')}</Th>
          <Th>{t('repositories.detail.mediaType')}</Th>
          <Th>{t('repositories.col.size')}</Th>
        </Tr>
      </Thead>
      <Tbody>
        {layers.map((l, i) => (
          <Tr key={`${i}-${l.digest}`}>
            <Td>{i + 1}</Td>
            <Td className="berth-repo-digest">{shortDigest(l.digest)}</Td>
            <Td className="berth-mono">{l.mediaType}</Td>
            <Td>{f.bytes(l.size)}</Td>
          </Tr>
        ))}
        <Tr>
          <Td />
          <Td>
            <strong>{t('repositories.detail.layersTotal', { count: layers.length })}</strong>
          </Td>
          <Td />
          <Td>
            <strong>{f.bytes(total)}</strong>
          </Td>
        </Tr>
      </Tbody>
    </Table>
  )
}

function History({ repo, artifact: a, doc }: { repo: string; artifact: Artifact; doc: ManifestDoc | undefined }) {
  const { t } = useTranslation()
  const f = useFormat()
  const { project } = useProject()
  const q = useAddition<HistoryEntry[]>(project.name, repo, a.digest, 'build_history', true)
  if (q.error !== null) return <ErrorAlert error={q.error} />
  if (q.data === undefined) return <Spinner aria-valuetext={t('common.loading')} aria-label={t('common.loading')} />
  if (q.data.length === 0) return <EmptyState titleText={t('repositories.detail.noHistory')} headingLevel="h3" />
  return (
    <Table variant="compact" aria-label={t('repositories.detail.tab.history')}>
      <Thead>
        <Tr>
          <Th width={15}>{t('repositories.detail.created')}</Th>
          <Th>{t('repositories.detail.command')}</Th>
          <Th width={10}>{t('repositories.col.size')}</Th>
        </Tr>
      </Thead>
      <Tbody>
        {historyWithLayers(q.data, doc?.layers ?? []).map(({ step, layer }, i) => (
          <Tr key={i}>
            <Td>{f.dateTime(step.created)}</Td>
            <Td className="berth-mono">
              {step.created_by ?? ''}
              {step.comment !== undefined && step.comment !== '' && <div className="berth-repo-note">{step.comment}</div>}
            </Td>
            <Td>{layer === null ? t('repositories.detail.emptyLayer') : f.bytes(layer.size)}</Td>
          </Tr>
        ))}
      </Tbody>
    </Table>
  )
}

function Children({ artifact: a, doc, repo }: { artifact: Artifact; doc: ManifestDoc | undefined; repo: string }) {
  const { t } = useTranslation()
  const { project } = useProject()
  const children = (doc?.manifests ?? []).slice(0, MAX_CHILDREN)
  if (doc === undefined) return <Spinner aria-valuetext={t('common.loading')} aria-label={t('common.loading')} />
  return (
    <>
      <Table variant="compact" aria-label={t('repositories.detail.tab.platforms')}>
        <Thead>
          <Tr>
            <Th>{t('repositories.detail.platform')}</Th>
            <Th>{t('repositories.col.digest')}</Th>
            <Th>{t('repositories.detail.mediaType')}</Th>
            <Th>{t('repositories.col.size')}</Th>
          </Tr>
        </Thead>
        <Tbody>
          {children.map((c) => (
            <Tr key={c.digest}>
              <Td>{platformText(c.platform) ?? '—'}</Td>
              <Td>
                {a.references.some((r) => r.child_digest === c.digest && r.child_id !== 0) ? (
                  <Link to={repoUrl(project.project_id, repo, c.digest)} className="berth-repo-digest">
                    {shortDigest(c.digest)}
                  </Link>
                ) : (
                  <span className="berth-repo-digest">{shortDigest(c.digest)}</span>
                )}
              </Td>
              <Td className="berth-mono">{c.mediaType}</Td>
              <Td>
                <ChildSize repo={repo} digest={c.digest} />
              </Td>
            </Tr>
          ))}
        </Tbody>
      </Table>
      {(doc.manifests?.length ?? 0) > MAX_CHILDREN && <p>{t('repositories.detail.moreChildren', { count: (doc.manifests?.length ?? 0) - MAX_CHILDREN })}</p>}
    </>
  )
}

/** A child's size with its layers, as its own artifact reports it. */
function ChildSize({ repo, digest }: { repo: string; digest: string }) {
  const f = useFormat()
  const { project } = useProject()
  const q = useQuery({
    queryKey: ['artifact', project.name, repo, digest],
    queryFn: async () => ok(await api.GET('/api/v2.0/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}', { params: { path: { ...repoParams(project.name, repo), reference: digest }, query: { with_tag: false, with_label: true, with_accessory: true } } })),
    retry: false,
  })
  return <>{q.data === undefined ? '—' : f.bytes(q.data.size)}</>
}

function Referrers({ artifact: a, repo }: { artifact: Artifact; repo: string }) {
  const { t } = useTranslation()
  const f = useFormat()
  const { project } = useProject()
  const list = a.accessories ?? []
  if (list.length === 0) return <EmptyState titleText={t('repositories.detail.noReferrers')} headingLevel="h3" />
  return (
    <Table variant="compact" aria-label={t('repositories.detail.tab.referrers')}>
      <Thead>
        <Tr>
          <Th>{t('repositories.detail.type')}</Th>
          <Th>{t('repositories.col.digest')}</Th>
          <Th>{t('repositories.col.size')}</Th>
          <Th>{t('repositories.detail.created')}</Th>
        </Tr>
      </Thead>
      <Tbody>
        {list.map((x) => (
          <Tr key={x.id}>
            <Td>{t(accessoryKey(x.type))}</Td>
            <Td>
              <Link to={repoUrl(project.project_id, repo, x.digest)} className="berth-repo-digest">
                {shortDigest(x.digest)}
              </Link>
            </Td>
            <Td>{f.bytes(x.size)}</Td>
            <Td>{f.dateTime(x.creation_time)}</Td>
          </Tr>
        ))}
      </Tbody>
    </Table>
  )
}

function ConfigJson({ repo, digest }: { repo: string; digest: string }) {
  const { t } = useTranslation()
  const { project } = useProject()
  const q = useAddition<unknown>(project.name, repo, digest, 'config', true)
  return <Json id="config" value={q.data} error={q.error} label={t('repositories.detail.tab.config')} />
}

function Json({ value, error, label, id }: { value: unknown; error: unknown; label: string; id: string }) {
  const { t } = useTranslation()
  const [copied, setCopied] = useState(false)
  if (error !== null) return <ErrorAlert error={error} />
  if (value === undefined) return <Spinner aria-valuetext={t('common.loading')} aria-label={t('common.loading')} />
  const text = JSON.stringify(value, null, 2)
  return (
    <CodeBlock
      actions={
        <CodeBlockAction>
          <ClipboardCopyButton
            id={`copy-${id}`}
            variant="plain"
            aria-label={t('repositories.detail.copyJson', { what: label })}
            onClick={() => void navigator.clipboard.writeText(text).then(() => setCopied(true))}
            onTooltipHidden={() => setCopied(false)}
          >
            {copied ? t('repositories.pull.copied') : t('repositories.pull.copy')}
          </ClipboardCopyButton>
        </CodeBlockAction>
      }
    >
      <CodeBlockCode>{text}</CodeBlockCode>
    </CodeBlock>
  )
}
