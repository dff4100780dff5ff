// Adds and removes labels on several artifacts at once: each label (global or the project's,
// searched by the server) shows whether all, some or none of the selection carry it; what the
// user changes becomes the requests that make the selection match.
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { useQuery } from '@tanstack/react-query'
import { Button, Checkbox, Content, EmptyState, Modal, ModalBody, ModalFooter, ModalHeader, SearchInput, Spinner, Stack, StackItem } from '@patternfly/react-core'
import { api, ok, page } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'
import { labelChanges, labelState, repoParams, type Artifact, type Label } from './artifacts'
import { ModalClose } from '../../components/ModalClose'

/** How many labels of each scope the picker offers; the search narrows them on the server. */
const PICK = 50

export function LabelsModal(p: { projectName: string; projectId: number; repo: string; selected: Artifact[]; onClose(): void; onDone(changed: number): Promise<void> }) {
  const { t } = useTranslation()
  const [filter, setFilter] = useState('')
  const [wanted, setWanted] = useState<Map<number, boolean>>(new Map())
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const name = filter.trim() === '' ? {} : { name: filter.trim() }
  const labels = useQuery({
    queryKey: ['labels-pick', p.projectId, filter],
    queryFn: async () => {
      const [global, own] = await Promise.all([
        api.GET('/api/v2.0/labels', { params: { query: { scope: 'g', page: 1, page_size: PICK, ...name } } }).then(page),
        api.GET('/api/v2.0/labels', { params: { query: { scope: 'p', project_id: p.projectId, page: 1, page_size: PICK, ...name } } }).then(page),
      ])
      return [...own.items, ...global.items]
    },
  })

  const apply = async () => {
    const { add, remove } = labelChanges(p.selected, wanted)
    setBusy(true)
    setError(null)
    let changed = 0
    try {
      for (const c of add) {
        ok(await api.POST('/api/v2.0/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}/labels', { params: { path: { ...repoParams(p.projectName, p.repo), reference: c.digest } }, body: { id: c.labelId } }))
        changed++
      }
      for (const c of remove) {
        ok(await api.DELETE('/api/v2.0/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}/labels/{label_id}', { params: { path: { ...repoParams(p.projectName, p.repo), reference: c.digest, label_id: String(c.labelId) } } }))
        changed++
      }
      await p.onDone(changed)
      p.onClose()
    } catch (e) {
      setError(e)
      if (changed > 0) await p.onDone(changed)
    } finally {
      setBusy(false)
    }
  }

  const checked = (l: Label): boolean | null => {
    const w = wanted.get(l.id)
    if (w !== undefined) return w
    const s = labelState(p.selected, l.id)
    return s === 'all' ? true : s === 'none' ? false : null
  }

  return (
    <Modal isOpen variant="small" onEscapePress={p.onClose} aria-labelledby="labels-title">
      <ModalClose onClose={p.onClose} />
      <ModalHeader title={t('repositories.labels.title')} labelId="labels-title" />
      <ModalBody>
        <Stack hasGutter>
          <StackItem>
            <Content component="p">{t('repositories.labels.help', { count: p.selected.length })}</Content>
          </StackItem>
          <StackItem>
            <SearchInput resetButtonLabel={t('common.clearSearch')} aria-label={t('repositories.labels.filter')} placeholder={t('repositories.labels.filter')} value={filter} onChange={(_e, v) => setFilter(v)} onClear={() => setFilter('')} />
          </StackItem>
          <StackItem>
            {labels.error !== null && <ErrorAlert error={labels.error} />}
            {labels.isLoading && <Spinner aria-valuetext={t('common.loading')} size="md" aria-label={t('common.loading')} />}
            {labels.data?.length === 0 && <EmptyState titleText={t('repositories.labels.none')} headingLevel="h3" />}
            {labels.data?.map((l) => (
              <Checkbox
                key={l.id}
                id={`label-${l.id}`}
                label={l.scope === 'g' ? t('repositories.labels.global', { name: l.name }) : l.name}
                description={l.description || undefined}
                isChecked={checked(l)}
                onChange={(_e, on) => setWanted((prev) => new Map(prev).set(l.id, on))}
              />
            ))}
          </StackItem>
          {error !== null && (
            <StackItem>
              <ErrorAlert error={error} />
            </StackItem>
          )}
        </Stack>
      </ModalBody>
      <ModalFooter>
        <Button variant="primary" onClick={apply} isLoading={busy} isDisabled={busy || wanted.size === 0}>
          {t('repositories.labels.apply')}
        </Button>
        <Button variant="link" onClick={p.onClose}>
          {t('common.cancel')}
        </Button>
      </ModalFooter>
    </Modal>
  )
}
