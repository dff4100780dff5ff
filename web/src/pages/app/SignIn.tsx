// Sign in with a database or LDAP account (the server decides which); the configured banner;
// a note for those who forgot their password (only an administrator can reset it).
import { useState, type FormEvent } from 'react'
import { Navigate, useNavigate, useSearchParams } from 'react-router'
import { useTranslation } from 'react-i18next'
import { useQuery } from '@tanstack/react-query'
import { ActionGroup, Alert, Button, Form, FormGroup, ListItem, LoginPage, Popover, TextInput } from '@patternfly/react-core'
import { api, ApiError, ok } from '../../api/client'
import { useSession } from '../../auth/session'
import { SystemBanner } from '../../components/SystemBanner'
import { ALERT_LABEL } from '../../components/alert-label'
import { LanguageMenu, ThemeSwitch } from '../../app/Preferences'
import { safeNext } from './safe-next'

export default function SignIn() {
  const { t } = useTranslation()
  const { user, signIn } = useSession()
  const navigate = useNavigate()
  const [search] = useSearchParams()
  const [principal, setPrincipal] = useState('')
  const [password, setPassword] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const info = useQuery({ queryKey: ['systeminfo', 'anonymous'], queryFn: async () => ok(await api.GET('/api/v2.0/systeminfo')), staleTime: 300_000 })
  if (user) return <Navigate to={safeNext(search.get('next'))} replace />

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      await signIn(principal, password)
      navigate(safeNext(search.get('next')), { replace: true })
    } catch (err) {
      setError(err instanceof ApiError && err.status === 429 ? t('app.signIn.tooMany') : err instanceof ApiError && err.status === 401 ? t('app.signIn.failed') : String((err as Error).message))
    } finally {
      setBusy(false)
    }
  }

  return (
    <LoginPage
      brandImgSrc="/assets/favicon.svg"
      brandImgAlt="Berth"
      loginTitle={t('app.signIn.title')}
      loginSubtitle={t('app.signIn.subtitle')}
      textContent={t('app.signIn.about')}
      footerListItems={
        <>
          <ListItem>
            <LanguageMenu plain={false} />
          </ListItem>
          <ListItem>
            <ThemeSwitch />
          </ListItem>
        </>
      }
    >
      <SystemBanner raw={info.data?.banner_message} />
      <Form onSubmit={submit}>
        {error !== null && <Alert variant="danger" variantLabel={t(ALERT_LABEL.danger)} isInline title={error} role="alert" />}
        <FormGroup label={t('app.signIn.username')} isRequired fieldId="principal">
          <TextInput id="principal" name="principal" autoComplete="username" isRequired value={principal} onChange={(_e, v) => setPrincipal(v)} autoFocus />
        </FormGroup>
        <FormGroup label={t('app.signIn.password')} isRequired fieldId="password">
          <TextInput id="password" name="password" type="password" autoComplete="current-password" isRequired value={password} onChange={(_e, v) => setPassword(v)} />
        </FormGroup>
        <ActionGroup>
          <Button type="submit" variant="primary" isBlock isLoading={busy} isDisabled={busy || principal === '' || password === ''}>
            {t('app.signIn.submit')}
          </Button>
        </ActionGroup>
      </Form>
      <Popover bodyContent={t('app.signIn.forgotHelp')} closeBtnAriaLabel={t('common.close')}>
        <Button variant="link" isInline>
          {t('app.signIn.forgot')}
        </Button>
      </Popover>
    </LoginPage>
  )
}
