// A project's configuration tab: public or private, the scanning and signature policies Harbor
// keeps as project metadata, and the project's CVE allowlist. Project admins (and system
// admins) change them; everyone else who sees the project reads them.
import { useEffect, useMemo, useState, type FormEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { useQueryClient } from '@tanstack/react-query'
import {
  ActionGroup,
  Alert,
  Button,
  Card,
  CardBody,
  CardTitle,
  Checkbox,
  Form,
  FormGroup,
  FormSelect,
  FormSelectOption,
  HelperText,
  HelperTextItem,
  PageSection,
  Radio,
  Stack,
  StackItem,
} from '@patternfly/react-core'
import { api, ok } from '../../api/client'
import { useUser } from '../../auth/session'
import { ErrorAlert } from '../../components/ErrorAlert'
import { useToast } from '../../components/Toasts'
import { useProject } from '../projects/project-context'
import { SEVERITIES, configFormOf, projectUpdateOf, type Flag, type ProjectConfigForm, type Severity } from './project-config'
import { ALERT_LABEL } from '../../components/alert-label'
import { useAction } from '../../components/use-action'
import { CveAllowlistFields } from './CveAllowlistFields'
import { TrustHint } from '../security/TrustHint'
import type { KeyKind } from '../security/trusted-keys'

const SEVERITY_KEYS: Record<Severity, string> = {
  none: 'users.config.severity.none',
  low: 'users.config.severity.low',
  medium: 'users.config.severity.medium',
  high: 'users.config.severity.high',
  critical: 'users.config.severity.critical',
}

/** The policy flags with their label and help, in the order Harbor's portal shows them. */
const POLICY_FLAGS: [Flag, string, string][] = [
  ['enable_content_trust', 'users.config.contentTrust', 'users.config.contentTrustHelp'],
  ['enable_content_trust_cosign', 'users.config.cosign', 'users.config.cosignHelp'],
  ['auto_scan', 'users.config.autoScan', 'users.config.autoScanHelp'],
  ['auto_sbom_generation', 'users.config.autoSbom', 'users.config.autoSbomHelp'],
]

/** The content-trust flags and the kind of trusted key each verifies against. */
const TRUST_KINDS: Partial<Record<Flag, KeyKind>> = { enable_content_trust: 'notation', enable_content_trust_cosign: 'cosign' }

export default function ProjectConfiguration() {
  const { t } = useTranslation()
  const user = useUser()
  const { project, can } = useProject()
  const client = useQueryClient()
  const toast = useToast()
  const editable = user.sysadmin_flag || can('metadata', 'update')
  const initial = useMemo(() => configFormOf(project), [project])
  const [form, setForm] = useState<ProjectConfigForm>(initial)
  useEffect(() => setForm(initial), [initial])
  const { busy, error, run } = useAction()
  const update = projectUpdateOf(initial, form)
  const id = String(project.project_id)

  const setFlag = (k: Flag, v: boolean) => setForm((f) => ({ ...f, flags: { ...f.flags, [k]: v } }))

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    if (update === null) return
    await run(async () => {
      ok(await api.PUT('/api/v2.0/projects/{project}', { params: { path: { project: id } }, headers: { 'X-Is-Resource-Name': 'false' }, body: update }))
      toast('success', t('users.config.saved'))
      await client.invalidateQueries({ queryKey: ['project', id] })
      await client.invalidateQueries({ queryKey: ['projects', 'list'] })
    })
  }

  return (
    <PageSection>
      <Form onSubmit={submit} maxWidth="48rem">
        <Stack hasGutter>
          {!editable && (
            <StackItem>
              <Alert variantLabel={t(ALERT_LABEL.info)} variant="info" isInline component="p" title={t('users.config.readOnly')} />
            </StackItem>
          )}
          {error !== null && (
            <StackItem>
              <ErrorAlert error={error} />
            </StackItem>
          )}
          <StackItem>
            <Card>
              <CardTitle component="h2">{t('users.config.access')}</CardTitle>
              <CardBody>
                <FormGroup fieldId="config-public">
                  <Checkbox id="config-public" label={t('users.config.public')} description={t('users.config.publicHelp')} isChecked={form.flags.public} isDisabled={!editable} onChange={(_e, v) => setFlag('public', v)} />
                </FormGroup>
              </CardBody>
            </Card>
          </StackItem>
          <StackItem>
            <Card>
              <CardTitle component="h2">{t('users.config.policies')}</CardTitle>
              <CardBody>
                <Stack hasGutter>
                  <StackItem>
                    <HelperText>
                      <HelperTextItem>{t('users.config.policiesHelp')}</HelperTextItem>
                    </HelperText>
                  </StackItem>
                  {POLICY_FLAGS.map(([key, label, help]) => (
                    <StackItem key={key}>
                      <Checkbox id={`config-${key}`} label={t(label)} description={t(help)} isChecked={form.flags[key]} isDisabled={!editable} onChange={(_e, v) => setFlag(key, v)} />
                      {form.flags[key] && TRUST_KINDS[key] !== undefined && <TrustHint projectId={project.project_id} kind={TRUST_KINDS[key]} />}
                    </StackItem>
                  ))}
                  <StackItem>
                    <Checkbox id="config-prevent_vul" label={t('users.config.preventVul')} description={t('users.config.preventVulHelp')} isChecked={form.flags.prevent_vul} isDisabled={!editable} onChange={(_e, v) => setFlag('prevent_vul', v)} />
                  </StackItem>
                  <StackItem>
                    <FormGroup label={t('users.config.severity')} fieldId="config-severity">
                      <FormSelect id="config-severity" value={form.severity} isDisabled={!editable || !form.flags.prevent_vul} onChange={(_e, v) => setForm((f) => ({ ...f, severity: v as Severity }))}>
                        {SEVERITIES.map((s) => (
                          <FormSelectOption key={s} value={s} label={t(SEVERITY_KEYS[s])} />
                        ))}
                      </FormSelect>
                    </FormGroup>
                  </StackItem>
                </Stack>
              </CardBody>
            </Card>
          </StackItem>
          <StackItem>
            <Card>
              <CardTitle component="h2">{t('users.config.allowlist')}</CardTitle>
              <CardBody>
                <Stack hasGutter>
                  <StackItem>
                    <FormGroup role="radiogroup" isStack fieldId="config-allowlist-source" label={t('users.config.allowlistSource')}>
                      <Radio id="config-reuse-system" name="allowlist-source" label={t('users.config.reuseSystem')} isChecked={form.flags.reuse_sys_cve_allowlist} isDisabled={!editable} onChange={() => setFlag('reuse_sys_cve_allowlist', true)} />
                      <Radio id="config-own-allowlist" name="allowlist-source" label={t('users.config.ownAllowlist')} isChecked={!form.flags.reuse_sys_cve_allowlist} isDisabled={!editable} onChange={() => setFlag('reuse_sys_cve_allowlist', false)} />
                    </FormGroup>
                  </StackItem>
                  {!form.flags.reuse_sys_cve_allowlist && <CveAllowlistFields id="config" value={form} onChange={(v) => setForm((f) => ({ ...f, ...v }))} editable={editable} />}
                </Stack>
              </CardBody>
            </Card>
          </StackItem>
          {editable && (
            <StackItem>
              <ActionGroup>
                <Button type="submit" isLoading={busy} isDisabled={busy || update === null}>
                  {t('common.save')}
                </Button>
                <Button variant="link" isDisabled={update === null} onClick={() => setForm(initial)}>
                  {t('users.settings.discard')}
                </Button>
              </ActionGroup>
            </StackItem>
          )}
        </Stack>
      </Form>
    </PageSection>
  )
}
