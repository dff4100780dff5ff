// A project's scanner tab: which scanner adapter scans the project's artifacts (its own choice,
// else the system default), and for project admins the choice among the enabled scanners.
import { useEffect, useState, type FormEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { ActionGroup, Alert, Button, Card, CardBody, CardTitle, DescriptionList, DescriptionListDescription, DescriptionListGroup, DescriptionListTerm, Form, FormGroup, FormSelect, FormSelectOption, PageSection, Stack, StackItem } from '@patternfly/react-core'
import { api, ok, page } from '../../api/client'
import { useUser } from '../../auth/session'
import { ErrorAlert } from '../../components/ErrorAlert'
import { useToast } from '../../components/Toasts'
import { ALERT_LABEL } from '../../components/alert-label'
import { useAction } from '../../components/use-action'
import { Loading } from '../../app/App'
import { useProject } from '../projects/project-context'
import { projectScannerQuery } from './project-scanner'

/** Candidates offered at once (a site with more scanner adapters than this is unheard of). */
const CANDIDATES = 100

function ScannerChoice({ projectName, current }: { projectName: string; current: string }) {
  const { t } = useTranslation()
  const client = useQueryClient()
  const toast = useToast()
  const [chosen, setChosen] = useState(current)
  useEffect(() => setChosen(current), [current])
  const { busy, error, run } = useAction()
  const candidates = useQuery({
    queryKey: ['project-scanner', projectName, 'candidates'],
    queryFn: async () => page(await api.GET('/api/v2.0/projects/{project_name_or_id}/scanner/candidates', { params: { path: { project_name_or_id: projectName }, query: { page: 1, page_size: CANDIDATES } } })),
  })
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    await run(async () => {
      ok(await api.PUT('/api/v2.0/projects/{project_name_or_id}/scanner', { params: { path: { project_name_or_id: projectName } }, body: { uuid: chosen } }))
      toast('success', t('security.project.saved'))
      await client.invalidateQueries({ queryKey: ['project-scanner', projectName] })
    })
  }
  return (
    <Form onSubmit={submit} maxWidth="32rem">
      {(candidates.error ?? error) !== null && <ErrorAlert error={candidates.error ?? error} />}
      <FormGroup label={t('security.project.choose')} fieldId="project-scanner">
        <FormSelect id="project-scanner" value={chosen} onChange={(_e, v) => setChosen(v)}>
          {chosen === '' && <FormSelectOption value="" label={t('security.project.none')} isPlaceholder isDisabled />}
          {(candidates.data?.items ?? []).map((s) => (
            <FormSelectOption key={s.uuid} value={s.uuid} label={s.is_default ? t('security.project.defaultOption', { name: s.name }) : s.name} />
          ))}
        </FormSelect>
      </FormGroup>
      <ActionGroup>
        <Button type="submit" isLoading={busy} isDisabled={busy || chosen === '' || chosen === current}>
          {t('common.save')}
        </Button>
      </ActionGroup>
    </Form>
  )
}

export default function ProjectScanner() {
  const { t } = useTranslation()
  const user = useUser()
  const { project, can } = useProject()
  const q = useQuery(projectScannerQuery(project.name, user.sysadmin_flag))
  const editable = user.sysadmin_flag || can('scanner', 'create')
  return (
    <PageSection>
      <Stack hasGutter>
        <StackItem>
          <Card>
            <CardTitle component="h2">{t('security.project.title')}</CardTitle>
            <CardBody>
              {q.error !== null && <ErrorAlert error={q.error} />}
              {q.isLoading && <Loading />}
              {q.data === null && <Alert variantLabel={t(ALERT_LABEL.info)} variant="info" isInline component="p" title={t('security.project.noScanner')} />}
              {q.data !== undefined && q.data !== null && (
                <DescriptionList isHorizontal>
                  <DescriptionListGroup>
                    <DescriptionListTerm>{t('security.scanner.name')}</DescriptionListTerm>
                    <DescriptionListDescription data-testid="project-scanner-name">{q.data.name}</DescriptionListDescription>
                  </DescriptionListGroup>
                  <DescriptionListGroup>
                    <DescriptionListTerm>{t('security.scanner.url')}</DescriptionListTerm>
                    <DescriptionListDescription className="berth-mono">{q.data.url}</DescriptionListDescription>
                  </DescriptionListGroup>
                  {q.data.description !== '' && (
                    <DescriptionListGroup>
                      <DescriptionListTerm>{t('security.scanner.description')}</DescriptionListTerm>
                      <DescriptionListDescription>{q.data.description}</DescriptionListDescription>
                    </DescriptionListGroup>
                  )}
                </DescriptionList>
              )}
            </CardBody>
          </Card>
        </StackItem>
        {editable && q.data !== undefined && (
          <StackItem>
            <Card>
              <CardTitle component="h2">{t('security.project.change')}</CardTitle>
              <CardBody>
                <ScannerChoice projectName={project.name} current={q.data?.uuid ?? ''} />
              </CardBody>
            </Card>
          </StackItem>
        )}
      </Stack>
    </PageSection>
  )
}
