// Interrogation services (/admin/scanners): the registered scanner adapters with their health
// (their metadata answers or not), default, enabled and auth scheme; add, edit, test, make
// default, enable or disable, delete, each adapter's metadata (vendor, version, capabilities),
// and scan-all (now, on a schedule, the latest run's progress).
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { Button, DescriptionList, DescriptionListDescription, DescriptionListGroup, DescriptionListTerm, Label, List, ListItem, Modal, ModalBody, ModalHeader, PageSection, Spinner } from '@patternfly/react-core'
import { ActionsColumn } from '@patternfly/react-table'
import { api, ok, page } from '../../api/client'
import { ConfirmDialog } from '../../components/ConfirmDialog'
import { ErrorAlert } from '../../components/ErrorAlert'
import { ModalClose } from '../../components/ModalClose'
import { PageTitle } from '../../components/PageTitle'
import { ServerTable, type Column } from '../../components/ServerTable'
import { pagingQuery } from '../../components/list-params'
import { useToast } from '../../components/Toasts'
import { ScannerModal } from './ScannerModal'
import { ScanAll } from './ScanAll'
import { scannerFormOf } from './scanner-form'
import type { Scanner } from './api-types'

const LIST = ['scanners', 'list'] as const

function metadataQuery(uuid: string) {
  return { queryKey: ['scanners', 'metadata', uuid], queryFn: async () => ok(await api.GET('/api/v2.0/scanners/{registration_id}/metadata', { params: { path: { registration_id: uuid } } })), retry: false, staleTime: 30_000 }
}

/** Healthy when the adapter answers its metadata. */
function HealthCell({ scanner }: { scanner: Scanner }) {
  const { t } = useTranslation()
  const q = useQuery(metadataQuery(scanner.uuid))
  if (q.isLoading) return <Spinner size="sm" aria-valuetext={t('common.loading')} />
  return q.error === null ? <Label color="green">{t('security.scanner.healthy')}</Label> : <Label color="red">{t('security.scanner.unhealthy')}</Label>
}

function MetadataModal({ scanner, onClose }: { scanner: Scanner; onClose(): void }) {
  const { t } = useTranslation()
  const q = useQuery(metadataQuery(scanner.uuid))
  return (
    <Modal isOpen variant="medium" onEscapePress={onClose} aria-labelledby="scanner-metadata-title">
      <ModalClose onClose={onClose} />
      <ModalHeader title={t('security.scanner.metadataOf', { name: scanner.name })} labelId="scanner-metadata-title" />
      <ModalBody>
        {q.error !== null && <ErrorAlert error={q.error} />}
        {q.data !== undefined && (
          <DescriptionList isHorizontal>
            <DescriptionListGroup>
              <DescriptionListTerm>{t('security.scanner.adapter')}</DescriptionListTerm>
              <DescriptionListDescription>{q.data.scanner.name}</DescriptionListDescription>
            </DescriptionListGroup>
            <DescriptionListGroup>
              <DescriptionListTerm>{t('security.scanner.vendor')}</DescriptionListTerm>
              <DescriptionListDescription>{q.data.scanner.vendor}</DescriptionListDescription>
            </DescriptionListGroup>
            <DescriptionListGroup>
              <DescriptionListTerm>{t('security.scanner.version')}</DescriptionListTerm>
              <DescriptionListDescription>{q.data.scanner.version}</DescriptionListDescription>
            </DescriptionListGroup>
            <DescriptionListGroup>
              <DescriptionListTerm>{t('security.scanner.capabilities')}</DescriptionListTerm>
              <DescriptionListDescription>
                <List isPlain>
                  {q.data.capabilities.map((c, i) => (
                    <ListItem key={i}>
                      <strong>{c.type}</strong>: {c.consumes_mime_types.join(', ')} → {c.produces_mime_types.join(', ')}
                    </ListItem>
                  ))}
                </List>
              </DescriptionListDescription>
            </DescriptionListGroup>
            {Object.entries(q.data.properties).map(([k, v]) => (
              <DescriptionListGroup key={k}>
                <DescriptionListTerm>{k}</DescriptionListTerm>
                <DescriptionListDescription>{v}</DescriptionListDescription>
              </DescriptionListGroup>
            ))}
          </DescriptionList>
        )}
      </ModalBody>
    </Modal>
  )
}

export default function ScannerList() {
  const { t } = useTranslation()
  const client = useQueryClient()
  const toast = useToast()
  const [editing, setEditing] = useState<Scanner | 'new' | null>(null)
  const [deleting, setDeleting] = useState<Scanner | null>(null)
  const [showing, setShowing] = useState<Scanner | null>(null)
  const refresh = () => client.invalidateQueries({ queryKey: ['scanners'] })
  const count = useQuery({ queryKey: ['scanners', 'count'], queryFn: async () => page(await api.GET('/api/v2.0/scanners', { params: { query: { page: 1, page_size: 1 } } })).total })

  const act = async (done: string, call: () => Promise<unknown>) => {
    try {
      await call()
      toast('success', done)
      await refresh()
    } catch (e) {
      toast('danger', (e as Error).message)
    }
  }
  const setDefault = (s: Scanner) => act(t('security.scanner.madeDefault', { name: s.name }), async () => ok(await api.PATCH('/api/v2.0/scanners/{registration_id}', { params: { path: { registration_id: s.uuid } }, body: { is_default: true } })))
  const setDisabled = (s: Scanner, disabled: boolean) =>
    act(disabled ? t('security.scanner.disabledDone', { name: s.name }) : t('security.scanner.enabledDone', { name: s.name }), async () => {
      const f = scannerFormOf(s)
      ok(await api.PUT('/api/v2.0/scanners/{registration_id}', { params: { path: { registration_id: s.uuid } }, body: { name: f.name, description: f.description, url: f.url, auth: f.auth, skip_certVerify: f.skipCertVerify, use_internal_addr: f.useInternalAddr, disabled } }))
    })

  const authName = (auth: string) => (auth === '' ? t('security.scanner.authNone') : auth)
  const columns: Column<Scanner>[] = [
    {
      key: 'name',
      title: t('security.scanner.name'),
      sort: 'name',
      render: (s) => (
        <>
          {s.name} {s.is_default && <Label color="blue" isCompact>{t('security.scanner.default')}</Label>}
        </>
      ),
    },
    { key: 'url', title: t('security.scanner.url'), render: (s) => <span className="berth-mono">{s.url}</span> },
    { key: 'health', title: t('security.scanner.health'), render: (s) => <HealthCell scanner={s} /> },
    { key: 'enabled', title: t('security.scanner.enabled'), render: (s) => (s.disabled ? <Label>{t('security.scanner.disabled')}</Label> : <Label color="green">{t('security.scanner.enabledYes')}</Label>) },
    { key: 'auth', title: t('security.scanner.auth'), render: (s) => authName(s.auth) },
    { key: 'description', title: t('security.scanner.description'), render: (s) => s.description || '—' },
  ]

  return (
    <>
      <PageTitle title={t('security.scanner.title')} description={t('security.scanner.intro')} />
      <PageSection>
        <ServerTable<Scanner>
          label={t('security.scanner.title')}
          columns={columns}
          queryKey={LIST}
          rowKey={(s) => s.uuid}
          defaultSort="name"
          emptyText={t('security.scanner.empty')}
          fetchPage={async (params) => page(await api.GET('/api/v2.0/scanners', { params: { query: pagingQuery(params) } }))}
          actions={
            <Button variant="primary" onClick={() => setEditing('new')}>
              {t('security.scanner.new')}
            </Button>
          }
          rowActions={(s) => (
            <ActionsColumn
              items={[
                { title: t('security.scanner.showMetadata'), onClick: () => setShowing(s) },
                { title: t('security.scanner.edit'), onClick: () => setEditing(s) },
                ...(s.is_default ? [] : [{ title: t('security.scanner.setDefault'), onClick: () => void setDefault(s) }]),
                { title: s.disabled ? t('security.scanner.enable') : t('security.scanner.disable'), onClick: () => void setDisabled(s, !s.disabled) },
                ...(s.is_default ? [] : [{ title: t('common.delete'), onClick: () => setDeleting(s) }]),
              ]}
              actionsToggle={({ toggleRef, onToggle, isOpen }) => (
                <Button ref={toggleRef} variant="plain" onClick={onToggle} aria-expanded={isOpen} aria-label={t('security.scanner.actionsFor', { name: s.name })}>
                  ⋮
                </Button>
              )}
            />
          )}
        />
      </PageSection>
      <PageSection>
        <ScanAll scanners={count.data} />
      </PageSection>
      {editing !== null && (
        <ScannerModal
          {...(editing !== 'new' ? { scanner: editing } : {})}
          onClose={() => setEditing(null)}
          onSaved={async (name) => {
            toast('success', t('security.scanner.saved', { name }))
            await refresh()
          }}
        />
      )}
      {showing !== null && <MetadataModal scanner={showing} onClose={() => setShowing(null)} />}
      {deleting !== null && (
        <ConfirmDialog
          title={t('security.scanner.deleteTitle')}
          confirmLabel={t('common.delete')}
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            ok(await api.DELETE('/api/v2.0/scanners/{registration_id}', { params: { path: { registration_id: deleting.uuid } } }))
            toast('success', t('security.scanner.deleted', { name: deleting.name }))
            await refresh()
          }}
        >
          {t('security.scanner.deleteBody', { name: deleting.name })}
        </ConfirmDialog>
      )}
    </>
  )
}
