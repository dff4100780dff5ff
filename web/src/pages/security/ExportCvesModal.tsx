// "Export CVEs" for a project (Harbor's portal puts it in the project list's actions): the
// filters (repositories, tags, labels, CVE ids), then POST /export/cve; the export runs as a job
// and its CSV waits on the CVE exports page.
import { useState, type FormEvent } from 'react'
import { Link } from 'react-router'
import { useTranslation } from 'react-i18next'
import { useQuery } from '@tanstack/react-query'
import { Button, Checkbox, Content, Form, FormGroup, FormHelperText, HelperText, HelperTextItem, Modal, ModalBody, ModalFooter, ModalHeader, TextInput } from '@patternfly/react-core'
import { api, page } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'
import { ModalClose } from '../../components/ModalClose'
import { useAction } from '../../components/use-action'
import { EMPTY_EXPORT, MAX_PATTERN, exportProblems, startExport, type CveExportForm, type ExportField } from './cve-export'

/** Labels offered of each scope (global and the project's). */
const LABELS = 100

const FIELDS: [ExportField, string, string][] = [
  ['repositories', 'security.export.repositories', 'security.export.repositoriesHelp'],
  ['tags', 'security.export.tags', 'security.export.tagsHelp'],
  ['cveIds', 'security.export.cveIds', 'security.export.cveIdsHelp'],
]

export function ExportCvesModal({ project, onClose, onStarted }: { project: { project_id: number; name: string }; onClose(): void; onStarted(id: number): void }) {
  const { t } = useTranslation()
  const [form, setForm] = useState<CveExportForm>(EMPTY_EXPORT)
  const { busy, error, run } = useAction()
  const problems = exportProblems(form)
  const labels = useQuery({
    queryKey: ['cve-export', 'labels', project.project_id],
    queryFn: async () => {
      const [global, own] = await Promise.all([
        api.GET('/api/v2.0/labels', { params: { query: { scope: 'g', page: 1, page_size: LABELS } } }).then(page),
        api.GET('/api/v2.0/labels', { params: { query: { scope: 'p', project_id: project.project_id, page: 1, page_size: LABELS } } }).then(page),
      ])
      return [...own.items, ...global.items]
    },
  })
  const toggleLabel = (id: number, on: boolean) => setForm((f) => ({ ...f, labels: on ? [...f.labels, id] : f.labels.filter((l) => l !== id) }))
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    if (problems.length > 0) return
    await run(async () => {
      onStarted(await startExport(project.project_id, form))
      onClose()
    })
  }
  return (
    <Modal isOpen variant="medium" onEscapePress={onClose} aria-labelledby="export-cves-title">
      <ModalClose onClose={onClose} />
      <ModalHeader title={t('security.export.titleOf', { name: project.name })} labelId="export-cves-title" description={t('security.export.intro')} />
      <ModalBody>
        <Form id="export-cves-form" onSubmit={submit}>
          {error !== null && <ErrorAlert error={error} />}
          {FIELDS.map(([field, label, help]) => {
            const bad = problems.includes(field)
            return (
              <FormGroup key={field} label={t(label)} fieldId={`export-${field}`}>
                <TextInput id={`export-${field}`} value={form[field]} onChange={(_e, v) => setForm((f) => ({ ...f, [field]: v }))} validated={bad ? 'error' : 'default'} />
                <FormHelperText>
                  <HelperText>
                    <HelperTextItem variant={bad ? 'error' : 'default'}>{bad ? t('security.export.tooLong', { max: MAX_PATTERN }) : t(help)}</HelperTextItem>
                  </HelperText>
                </FormHelperText>
              </FormGroup>
            )
          })}
          <FormGroup role="group" isStack label={t('security.export.labels')} fieldId="export-labels">
            {labels.error !== null && <ErrorAlert error={labels.error} />}
            {labels.data !== undefined && labels.data.length === 0 && <Content component="p">{t('security.export.noLabels')}</Content>}
            {(labels.data ?? []).map((l) => (
              <Checkbox key={l.id} id={`export-label-${l.id}`} label={l.name} isChecked={form.labels.includes(l.id)} onChange={(_e, on) => toggleLabel(l.id, on)} />
            ))}
            <FormHelperText>
              <HelperText>
                <HelperTextItem>{t('security.export.labelsHelp')}</HelperTextItem>
              </HelperText>
            </FormHelperText>
          </FormGroup>
          <Content component="p">
            <Link to="/cve-exports">{t('security.export.listLink')}</Link>
          </Content>
        </Form>
      </ModalBody>
      <ModalFooter>
        <Button type="submit" form="export-cves-form" isLoading={busy} isDisabled={busy || problems.length > 0}>
          {t('security.export.start')}
        </Button>
        <Button variant="link" onClick={onClose}>
          {t('common.cancel')}
        </Button>
      </ModalFooter>
    </Modal>
  )
}
