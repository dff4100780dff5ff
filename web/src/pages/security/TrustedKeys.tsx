// A project's trusted keys tab (Berth's own): the cosign public keys and notation root
// certificates its content-trust policies verify signatures against, with their kind, algorithm
// and fingerprint; project admins add (PEM pasted or read from a file) and remove them, members
// read them. Also the hint the configuration tab shows beside the content-trust checkboxes.
import { useState, type FormEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import {
  Button,
  ClipboardCopyButton,
  Content,
  EmptyState,
  FileUpload,
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
  TextInput,
  Toolbar,
  ToolbarContent,
  ToolbarItem,
} from '@patternfly/react-core'
import { ActionsColumn, Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table'
import { api, ok } from '../../api/client'
import { useUser } from '../../auth/session'
import { ConfirmDialog } from '../../components/ConfirmDialog'
import { ErrorAlert } from '../../components/ErrorAlert'
import { ModalClose } from '../../components/ModalClose'
import { useToast } from '../../components/Toasts'
import { useAction } from '../../components/use-action'
import { useFormat } from '../../lib/format'
import { Loading } from '../../app/App'
import { useProject } from '../projects/project-context'
import { EMPTY_KEY, keyProblems, kindOf, shortFingerprint, trustCounts, trustedKeyBody, trustedKeysQuery, type KeyKind, type TrustedKey, type TrustedKeyForm } from './trusted-keys'

const KIND_KEYS: Record<KeyKind, string> = { cosign: 'security.keys.kindCosign', notation: 'security.keys.kindNotation' }

function Fingerprint({ id, value }: { id: string; value: string }) {
  const { t } = useTranslation()
  const [copied, setCopied] = useState(false)
  return (
    <span className="berth-fingerprint">
      <span className="berth-mono" title={value}>
        {shortFingerprint(value)}
      </span>
      <ClipboardCopyButton
        id={`copy-fingerprint-${id}`}
        variant="plain"
        aria-label={t('security.keys.copyFingerprint')}
        onClick={() => void navigator.clipboard.writeText(value).then(() => setCopied(true))}
        onTooltipHidden={() => setCopied(false)}
      >
        {copied ? t('security.keys.copied') : t('security.keys.copyFingerprint')}
      </ClipboardCopyButton>
    </span>
  )
}

function AddKeyModal({ projectId, onClose, onAdded }: { projectId: number; onClose(): void; onAdded(name: string): Promise<unknown> }) {
  const { t } = useTranslation()
  const [form, setForm] = useState<TrustedKeyForm>(EMPTY_KEY)
  const [filename, setFilename] = useState('')
  const { busy, error, run } = useAction()
  const problems = keyProblems(form)
  const set = <K extends keyof TrustedKeyForm>(k: K, v: TrustedKeyForm[K]) => setForm((f) => ({ ...f, [k]: v }))
  const nameBad = form.name !== '' && problems.includes('name')
  const pemBad = form.pem !== '' && (problems.includes('pem') || problems.includes('pemSize'))
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    if (problems.length > 0) return
    await run(async () => {
      ok(await api.POST('/api/v2.0/projects/{project}/trusted-keys', { params: { path: { project: String(projectId) } }, body: trustedKeyBody(form) }))
      await onAdded(form.name.trim())
      onClose()
    })
  }
  return (
    <Modal isOpen variant="medium" onEscapePress={onClose} aria-labelledby="trusted-key-title">
      <ModalClose onClose={onClose} />
      <ModalHeader title={t('security.keys.addTitle')} labelId="trusted-key-title" description={t('security.keys.addHelp')} />
      <ModalBody>
        <Form id="trusted-key-form" onSubmit={submit}>
          {error !== null && <ErrorAlert error={error} title={t('security.keys.refused')} />}
          <FormGroup label={t('security.keys.name')} isRequired fieldId="trusted-key-name">
            <TextInput id="trusted-key-name" isRequired value={form.name} maxLength={64} onChange={(_e, v) => set('name', v)} validated={nameBad ? 'error' : 'default'} autoFocus />
            <FormHelperText>
              <HelperText>
                <HelperTextItem variant={nameBad ? 'error' : 'default'}>{t('security.keys.nameHelp')}</HelperTextItem>
              </HelperText>
            </FormHelperText>
          </FormGroup>
          <FormGroup label={t('security.keys.description')} fieldId="trusted-key-description">
            <TextInput id="trusted-key-description" value={form.description} maxLength={1024} onChange={(_e, v) => set('description', v)} />
          </FormGroup>
          <FormGroup label={t('security.keys.pem')} isRequired fieldId="trusted-key-pem">
            <FileUpload
              id="trusted-key-pem"
              type="text"
              value={form.pem}
              filename={filename}
              allowEditingUploadedText
              isRequired
              validated={pemBad ? 'error' : 'default'}
              aria-label={t('security.keys.pem')}
              textAreaPlaceholder={t('security.keys.pemPlaceholder')}
              filenamePlaceholder={t('security.keys.filePlaceholder')}
              filenameAriaLabel={filename !== '' ? t('security.keys.fileName') : t('security.keys.filePlaceholder')}
              browseButtonText={t('security.keys.browse')}
              clearButtonText={t('security.keys.clear')}
              onFileInputChange={(_e, file) => setFilename(file.name)}
              onDataChange={(_e, data) => set('pem', data)}
              onTextChange={(_e, text) => set('pem', text)}
              onClearClick={() => {
                setFilename('')
                set('pem', '')
              }}
            />
            <FormHelperText>
              <HelperText>
                <HelperTextItem variant={pemBad ? 'error' : 'default'}>{problems.includes('pemSize') ? t('security.keys.pemTooLarge') : t('security.keys.pemHelp')}</HelperTextItem>
              </HelperText>
            </FormHelperText>
          </FormGroup>
        </Form>
      </ModalBody>
      <ModalFooter>
        <Button type="submit" form="trusted-key-form" isLoading={busy} isDisabled={busy || problems.length > 0}>
          {t('security.keys.add')}
        </Button>
        <Button variant="link" onClick={onClose}>
          {t('common.cancel')}
        </Button>
      </ModalFooter>
    </Modal>
  )
}

export default function TrustedKeys() {
  const { t } = useTranslation()
  const f = useFormat()
  const user = useUser()
  const toast = useToast()
  const client = useQueryClient()
  const { project, can } = useProject()
  const editable = user.sysadmin_flag || can('metadata', 'update')
  const q = useQuery(trustedKeysQuery(project.project_id))
  const [adding, setAdding] = useState(false)
  const [deleting, setDeleting] = useState<TrustedKey | null>(null)
  const refresh = () => client.invalidateQueries({ queryKey: ['trusted-keys', project.project_id] })
  const keys = q.data ?? []
  return (
    <PageSection>
      <Content component="p">{t('security.keys.intro')}</Content>
      {q.error !== null && <ErrorAlert error={q.error} />}
      {editable && (
        <Toolbar>
          <ToolbarContent>
            <ToolbarItem>
              <Button onClick={() => setAdding(true)}>{t('security.keys.addOpen')}</Button>
            </ToolbarItem>
          </ToolbarContent>
        </Toolbar>
      )}
      {q.isLoading && <Loading />}
      {q.data !== undefined && keys.length === 0 && <EmptyState titleText={t('security.keys.empty')} headingLevel="h2" />}
      {keys.length > 0 && (
        <Table aria-label={t('security.keys.title')} variant="compact">
          <Thead>
            <Tr>
              <Th>{t('security.keys.name')}</Th>
              <Th>{t('security.keys.kind')}</Th>
              <Th>{t('security.keys.algorithm')}</Th>
              <Th>{t('security.keys.fingerprint')}</Th>
              <Th>{t('security.keys.creator')}</Th>
              <Th>{t('security.keys.created')}</Th>
              {editable && <Th screenReaderText={t('common.actions')} />}
            </Tr>
          </Thead>
          <Tbody>
            {keys.map((k) => (
              <Tr key={k.id}>
                <Td dataLabel={t('security.keys.name')}>
                  {k.name}
                  {k.description !== '' && <div className="berth-scan-note">{k.description}</div>}
                </Td>
                <Td dataLabel={t('security.keys.kind')}>
                  <Label color={kindOf(k.algorithm) === 'cosign' ? 'blue' : 'purple'}>{t(KIND_KEYS[kindOf(k.algorithm)])}</Label>
                </Td>
                <Td dataLabel={t('security.keys.algorithm')} className="berth-mono">
                  {k.algorithm}
                </Td>
                <Td dataLabel={t('security.keys.fingerprint')}>
                  <Fingerprint id={String(k.id)} value={k.fingerprint} />
                </Td>
                <Td dataLabel={t('security.keys.creator')}>{k.creator}</Td>
                <Td dataLabel={t('security.keys.created')}>{f.dateTime(k.creation_time)}</Td>
                {editable && (
                  <Td isActionCell>
                    <ActionsColumn
                      items={[{ title: t('common.delete'), onClick: () => setDeleting(k) }]}
                      actionsToggle={({ toggleRef, onToggle, isOpen }) => (
                        <Button ref={toggleRef} variant="plain" onClick={onToggle} aria-expanded={isOpen} aria-label={t('security.keys.actionsFor', { name: k.name })}>
                          ⋮
                        </Button>
                      )}
                    />
                  </Td>
                )}
              </Tr>
            ))}
          </Tbody>
        </Table>
      )}
      {adding && (
        <AddKeyModal
          projectId={project.project_id}
          onClose={() => setAdding(false)}
          onAdded={async (name) => {
            toast('success', t('security.keys.added', { name }))
            await refresh()
          }}
        />
      )}
      {deleting !== null && (
        <ConfirmDialog
          title={t('security.keys.deleteTitle')}
          confirmLabel={t('common.delete')}
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            ok(await api.DELETE('/api/v2.0/projects/{project}/trusted-keys/{key_id}', { params: { path: { project: String(project.project_id), key_id: String(deleting.id) } } }))
            toast('success', t('security.keys.deleted', { name: deleting.name }))
            await refresh()
          }}
        >
          {t('security.keys.deleteBody', { name: deleting.name })}
        </ConfirmDialog>
      )}
    </PageSection>
  )
}
