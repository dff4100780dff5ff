// System settings (administrators): how users authenticate, shown read-only because it is set
// in berth.yml, and the settings that change at run time, saved together; only the keys the
// administrator changed are sent.
import { useEffect, useMemo, useState, type FormEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import {
  ActionGroup,
  Alert,
  Button,
  Card,
  CardBody,
  CardTitle,
  Checkbox,
  DescriptionList,
  DescriptionListDescription,
  DescriptionListGroup,
  DescriptionListTerm,
  Form,
  FormGroup,
  FormHelperText,
  FormSelect,
  FormSelectOption,
  Grid,
  GridItem,
  HelperText,
  HelperTextItem,
  InputGroup,
  InputGroupItem,
  PageSection,
  Stack,
  StackItem,
  TextArea,
  TextInput,
  Title,
} from '@patternfly/react-core'
import { api, ok } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'
import { PageTitle } from '../../components/PageTitle'
import { useToast } from '../../components/Toasts'
import { Loading } from '../../app/App'
import { BANNER_TYPES, type BannerForm, type BannerType } from './banner-form'
import { STORAGE_UNITS, changedSettings, formOf, settingsProblems, type Configurations, type SettingsForm, type StorageUnit } from './settings-form'
import { ALERT_LABEL } from '../../components/alert-label'
import { useAction } from '../../components/use-action'
import { SystemAllowlist } from './SystemAllowlist'

const CONFIG = ['configurations'] as const

const AUTH_MODES: Record<string, string> = { db_auth: 'users.settings.auth.db', ldap_auth: 'users.settings.auth.ldap' }
const LDAP_SCOPES: Record<string, string> = { '0': 'users.settings.ldap.scopeBase', '1': 'users.settings.ldap.scopeOne', '2': 'users.settings.ldap.scopeSub' }
const BANNER_TYPE_KEYS: Record<BannerType, string> = {
  info: 'users.settings.banner.type.info',
  warning: 'users.settings.banner.type.warning',
  danger: 'users.settings.banner.type.danger',
  success: 'users.settings.banner.type.success',
}
/** The LDAP settings GET /configurations shows, in the order an administrator reads them. */
const LDAP_FIELDS: [string, string][] = [
  ['ldap_url', 'users.settings.ldap.url'],
  ['ldap_search_dn', 'users.settings.ldap.searchDn'],
  ['ldap_base_dn', 'users.settings.ldap.baseDn'],
  ['ldap_filter', 'users.settings.ldap.filter'],
  ['ldap_uid', 'users.settings.ldap.uid'],
  ['ldap_scope', 'users.settings.ldap.scope'],
  ['ldap_timeout', 'users.settings.ldap.timeout'],
  ['ldap_verify_cert', 'users.settings.ldap.verifyCert'],
  ['ldap_group_base_dn', 'users.settings.ldap.groupBaseDn'],
  ['ldap_group_search_filter', 'users.settings.ldap.groupFilter'],
  ['ldap_group_attribute_name', 'users.settings.ldap.groupAttribute'],
  ['ldap_group_admin_dn', 'users.settings.ldap.groupAdminDn'],
]

function Authentication({ config }: { config: Configurations }) {
  const { t } = useTranslation()
  const mode = String(config.auth_mode?.value ?? '')
  const shown = (key: string): string => {
    const v = config[key]?.value
    if (key === 'ldap_scope') return LDAP_SCOPES[String(v)] !== undefined ? t(LDAP_SCOPES[String(v)]!) : String(v ?? '')
    if (key === 'ldap_timeout') return t('users.settings.seconds', { count: Number(v ?? 0) })
    if (typeof v === 'boolean') return v ? t('users.settings.yes') : t('users.settings.no')
    return v === undefined || v === '' ? '—' : String(v)
  }
  return (
    <Card>
      <CardTitle component="h2">{t('users.settings.auth.title')}</CardTitle>
      <CardBody>
        <Stack hasGutter>
          <StackItem>
            <Alert variantLabel={t(ALERT_LABEL.info)} variant="info" isInline isPlain component="p" title={t('users.settings.auth.fixed')} />
          </StackItem>
          <StackItem>
            <DescriptionList isHorizontal isCompact horizontalTermWidthModifier={{ default: '16rem' }}>
              <DescriptionListGroup>
                <DescriptionListTerm>{t('users.settings.auth.mode')}</DescriptionListTerm>
                <DescriptionListDescription>{AUTH_MODES[mode] !== undefined ? t(AUTH_MODES[mode]!) : mode}</DescriptionListDescription>
              </DescriptionListGroup>
              <DescriptionListGroup>
                <DescriptionListTerm>{t('users.settings.auth.sessionTimeout')}</DescriptionListTerm>
                <DescriptionListDescription>{t('users.settings.minutes', { count: Number(config.session_timeout?.value ?? 0) })}</DescriptionListDescription>
              </DescriptionListGroup>
              {mode === 'ldap_auth' &&
                LDAP_FIELDS.map(([key, label]) => (
                  <DescriptionListGroup key={key}>
                    <DescriptionListTerm>{t(label)}</DescriptionListTerm>
                    <DescriptionListDescription>{shown(key)}</DescriptionListDescription>
                  </DescriptionListGroup>
                ))}
            </DescriptionList>
          </StackItem>
        </Stack>
      </CardBody>
    </Card>
  )
}

function SystemSettings({ config }: { config: Configurations }) {
  const { t } = useTranslation()
  const client = useQueryClient()
  const toast = useToast()
  const initial = useMemo(() => formOf(config), [config])
  const [form, setForm] = useState<SettingsForm>(initial)
  // A save (or another administrator's change, on refetch) becomes the new starting point.
  useEffect(() => setForm(initial), [initial])
  const { busy, error, run } = useAction()
  const changes = changedSettings(initial, form)
  const problems = settingsProblems(form)
  const dirty = Object.keys(changes).length > 0
  const set = (patch: Partial<SettingsForm>) => setForm((f) => ({ ...f, ...patch }))
  const setBanner = (patch: Partial<BannerForm>) => setForm((f) => ({ ...f, banner: { ...f.banner, ...patch } }))
  const fixed = (key: string) => config[key]?.editable === false
  const ldap = config.auth_mode?.value === 'ldap_auth'

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    if (!dirty || problems.length > 0) return
    await run(async () => {
      ok(await api.PUT('/api/v2.0/configurations', { body: changes }))
      toast('success', t('users.settings.saved'))
      await client.invalidateQueries({ queryKey: CONFIG })
      await client.invalidateQueries({ queryKey: ['systeminfo'] })
    })
  }

  const helper = (text: string, isError: boolean) => (
    <FormHelperText>
      <HelperText>
        <HelperTextItem variant={isError ? 'error' : 'default'}>{text}</HelperTextItem>
      </HelperText>
    </FormHelperText>
  )

  return (
    <Card>
      <CardTitle component="h2">{t('users.settings.system.title')}</CardTitle>
      <CardBody>
        <Form onSubmit={submit} maxWidth="48rem">
          {error !== null && <ErrorAlert error={error} />}
          <FormGroup fieldId="self-registration" label={t('users.settings.selfRegistration')}>
            <Checkbox
              id="self-registration"
              label={t('users.settings.selfRegistrationOn')}
              description={ldap ? t('users.settings.selfRegistrationLdap') : t('users.settings.selfRegistrationHelp')}
              isChecked={form.selfRegistration}
              isDisabled={fixed('self_registration')}
              onChange={(_e, v) => set({ selfRegistration: v })}
            />
          </FormGroup>
          <FormGroup label={t('users.settings.creation')} fieldId="creation-restriction">
            <FormSelect id="creation-restriction" value={form.creationRestriction} isDisabled={fixed('project_creation_restriction')} onChange={(_e, v) => set({ creationRestriction: v === 'adminonly' ? 'adminonly' : 'everyone' })}>
              <FormSelectOption value="everyone" label={t('users.settings.creation.everyone')} />
              <FormSelectOption value="adminonly" label={t('users.settings.creation.adminOnly')} />
            </FormSelect>
          </FormGroup>
          <FormGroup label={t('users.settings.tokenExpiration')} fieldId="token-expiration" isRequired>
            <TextInput id="token-expiration" type="number" min={1} max={1440} isRequired value={form.tokenExpiration} isDisabled={fixed('token_expiration')} onChange={(_e, v) => set({ tokenExpiration: v })} validated={problems.includes('tokenExpiration') ? 'error' : 'default'} />
            {helper(t('users.settings.tokenExpirationHelp'), problems.includes('tokenExpiration'))}
          </FormGroup>
          <FormGroup label={t('users.settings.storage')} fieldId="storage-per-project">
            <InputGroup>
              <InputGroupItem isFill>
                <TextInput id="storage-per-project" type="number" min={0} value={form.storageLimit} isDisabled={fixed('storage_per_project')} placeholder={t('users.settings.unlimited')} onChange={(_e, v) => set({ storageLimit: v })} validated={problems.includes('storageLimit') ? 'error' : 'default'} />
              </InputGroupItem>
              <InputGroupItem>
                <FormSelect value={form.storageUnit} aria-label={t('users.settings.storageUnit')} isDisabled={fixed('storage_per_project')} onChange={(_e, v) => set({ storageUnit: v as StorageUnit })}>
                  {STORAGE_UNITS.map(([u]) => (
                    <FormSelectOption key={u} value={u} label={u} />
                  ))}
                </FormSelect>
              </InputGroupItem>
            </InputGroup>
            {helper(t('users.settings.storageHelp'), problems.includes('storageLimit'))}
          </FormGroup>

          <FormGroup fieldId="read-only" label={t('users.settings.readOnly')}>
            <Checkbox id="read-only" label={t('users.settings.readOnlyOn')} description={t('users.settings.readOnlyHelp')} isChecked={form.readOnly} isDisabled={fixed('read_only')} onChange={(_e, v) => set({ readOnly: v })} />
          </FormGroup>

          <Title headingLevel="h3" size="md">
            {t('users.settings.audit.title')}
          </Title>
          <FormGroup label={t('users.settings.audit.endpoint')} fieldId="audit-endpoint">
            <TextInput id="audit-endpoint" value={form.auditEndpoint} isDisabled={fixed('audit_log_forward_endpoint')} onChange={(_e, v) => set({ auditEndpoint: v })} />
            {helper(t('users.settings.audit.endpointHelp'), false)}
          </FormGroup>
          <FormGroup fieldId="skip-audit-db" label={t('users.settings.audit.database')}>
            <Checkbox id="skip-audit-db" label={t('users.settings.audit.skip')} isChecked={form.skipAuditDb} isDisabled={fixed('skip_audit_log_database')} onChange={(_e, v) => set({ skipAuditDb: v })} />
            {problems.includes('skipAuditDb') && helper(t('users.settings.audit.skipNeedsEndpoint'), true)}
          </FormGroup>

          <Title headingLevel="h3" size="md">
            {t('users.settings.banner.title')}
          </Title>
          <FormGroup label={t('users.settings.banner.message')} fieldId="banner-message">
            <TextArea id="banner-message" value={form.banner.message} isDisabled={fixed('banner_message')} onChange={(_e, v) => setBanner({ message: v })} resizeOrientation="vertical" rows={2} />
            {helper(t('users.settings.banner.messageHelp'), false)}
          </FormGroup>
          <Grid hasGutter md={6}>
            <GridItem>
              <FormGroup label={t('users.settings.banner.type')} fieldId="banner-type">
                <FormSelect id="banner-type" value={form.banner.type} isDisabled={fixed('banner_message')} onChange={(_e, v) => setBanner({ type: v as BannerType })}>
                  {BANNER_TYPES.map((type) => (
                    <FormSelectOption key={type} value={type} label={t(BANNER_TYPE_KEYS[type])} />
                  ))}
                </FormSelect>
              </FormGroup>
            </GridItem>
            <GridItem>
              <FormGroup fieldId="banner-closable" label={t('users.settings.banner.closableLabel')}>
                <Checkbox id="banner-closable" label={t('users.settings.banner.closable')} isChecked={form.banner.closable} isDisabled={fixed('banner_message')} onChange={(_e, v) => setBanner({ closable: v })} />
              </FormGroup>
            </GridItem>
            <GridItem>
              <FormGroup label={t('users.settings.banner.from')} fieldId="banner-from">
                <TextInput id="banner-from" type="date" value={form.banner.from} isDisabled={fixed('banner_message')} onChange={(_e, v) => setBanner({ from: v })} validated={problems.includes('bannerDates') ? 'error' : 'default'} />
              </FormGroup>
            </GridItem>
            <GridItem>
              <FormGroup label={t('users.settings.banner.to')} fieldId="banner-to">
                <TextInput id="banner-to" type="date" value={form.banner.to} isDisabled={fixed('banner_message')} onChange={(_e, v) => setBanner({ to: v })} validated={problems.includes('bannerDates') ? 'error' : 'default'} />
                {helper(problems.includes('bannerDates') ? t('users.settings.banner.datesOrder') : t('users.settings.banner.datesHelp'), problems.includes('bannerDates'))}
              </FormGroup>
            </GridItem>
          </Grid>
          {form.banner.message.trim() !== '' && <Alert variantLabel={t(ALERT_LABEL[form.banner.type])} variant={form.banner.type} isInline component="p" title={form.banner.message} aria-label={t('users.settings.banner.preview')} />}

          <ActionGroup>
            <Button type="submit" isLoading={busy} isDisabled={busy || !dirty || problems.length > 0}>
              {t('common.save')}
            </Button>
            <Button variant="link" isDisabled={!dirty} onClick={() => setForm(initial)}>
              {t('users.settings.discard')}
            </Button>
          </ActionGroup>
        </Form>
      </CardBody>
    </Card>
  )
}

export default function Settings() {
  const { t } = useTranslation()
  const q = useQuery({ queryKey: CONFIG, queryFn: async () => ok(await api.GET('/api/v2.0/configurations')) as Configurations })
  return (
    <>
      <PageTitle title={t('users.settings.title')} />
      <PageSection>
        {q.error !== null && <ErrorAlert error={q.error} />}
        {q.data === undefined ? (
          q.error === null && <Loading />
        ) : (
          <Stack hasGutter>
            <StackItem>
              <Authentication config={q.data} />
            </StackItem>
            <StackItem>
              <SystemSettings config={q.data} />
            </StackItem>
            <StackItem>
              <SystemAllowlist />
            </StackItem>
          </Stack>
        )}
      </PageSection>
    </>
  )
}
