// The signed-in user's profile and password.
import { useState, type FormEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { useQueryClient } from '@tanstack/react-query'
import { ActionGroup, Alert, Button, Card, CardBody, CardTitle, Form, FormGroup, PageSection, TextInput } from '@patternfly/react-core'
import { api, ok } from '../../api/client'
import { useUser } from '../../auth/session'
import { ErrorAlert } from '../../components/ErrorAlert'
import { ALERT_LABEL } from '../../components/alert-label'
import { PageTitle } from '../../components/PageTitle'
import { useToast } from '../../components/Toasts'

function Profile() {
  const { t } = useTranslation()
  const user = useUser()
  const client = useQueryClient()
  const toast = useToast()
  const [email, setEmail] = useState(user.email)
  const [realname, setRealname] = useState(user.realname)
  const [comment, setComment] = useState(user.comment)
  const [error, setError] = useState<unknown>(null)
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setError(null)
    try {
      ok(await api.PUT('/api/v2.0/users/{user_id}', { params: { path: { user_id: String(user.user_id) } }, body: { email, realname, comment } }))
      await client.invalidateQueries({ queryKey: ['session'] })
      toast('success', t('app.account.saved'))
    } catch (err) {
      setError(err)
    }
  }
  return (
    <Card>
      <CardTitle component="h2">{t('app.account.profile')}</CardTitle>
      <CardBody>
        <Form onSubmit={submit} maxWidth="40rem">
          {error !== null && <ErrorAlert error={error} />}
          <FormGroup label={t('app.account.username')} fieldId="username">
            <TextInput id="username" value={user.username} readOnlyVariant="default" />
          </FormGroup>
          <FormGroup label={t('app.account.email')} fieldId="email">
            <TextInput id="email" type="email" value={email} onChange={(_e, v) => setEmail(v)} />
          </FormGroup>
          <FormGroup label={t('app.account.realname')} fieldId="realname">
            <TextInput id="realname" value={realname} onChange={(_e, v) => setRealname(v)} />
          </FormGroup>
          <FormGroup label={t('app.account.comment')} fieldId="comment">
            <TextInput id="comment" value={comment} onChange={(_e, v) => setComment(v)} />
          </FormGroup>
          <ActionGroup>
            <Button type="submit">{t('common.save')}</Button>
          </ActionGroup>
        </Form>
      </CardBody>
    </Card>
  )
}

function Password() {
  const { t } = useTranslation()
  const user = useUser()
  const toast = useToast()
  const [old, setOld] = useState('')
  const [next, setNext] = useState('')
  const [again, setAgain] = useState('')
  const [error, setError] = useState<unknown>(null)
  const mismatch = again !== '' && again !== next
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setError(null)
    try {
      ok(await api.PUT('/api/v2.0/users/{user_id}/password', { params: { path: { user_id: String(user.user_id) } }, body: { old_password: old, new_password: next } }))
      setOld('')
      setNext('')
      setAgain('')
      toast('success', t('app.account.passwordChanged'))
    } catch (err) {
      setError(err)
    }
  }
  return (
    <Card>
      <CardTitle component="h2">{t('app.account.password')}</CardTitle>
      <CardBody>
        <Form onSubmit={submit} maxWidth="40rem">
          {error !== null && <ErrorAlert error={error} />}
          <FormGroup label={t('app.account.oldPassword')} isRequired fieldId="old-password">
            <TextInput id="old-password" type="password" autoComplete="current-password" value={old} onChange={(_e, v) => setOld(v)} isRequired />
          </FormGroup>
          <FormGroup label={t('app.account.newPassword')} isRequired fieldId="new-password">
            <TextInput id="new-password" type="password" autoComplete="new-password" value={next} onChange={(_e, v) => setNext(v)} isRequired />
          </FormGroup>
          <FormGroup label={t('app.account.confirmPassword')} isRequired fieldId="confirm-password">
            <TextInput id="confirm-password" type="password" autoComplete="new-password" value={again} onChange={(_e, v) => setAgain(v)} validated={mismatch ? 'error' : 'default'} isRequired />
          </FormGroup>
          {mismatch && <Alert variant="warning" variantLabel={t(ALERT_LABEL.warning)} isInline isPlain title={t('app.account.mismatch')} />}
          <ActionGroup>
            <Button type="submit" isDisabled={old === '' || next === '' || mismatch}>
              {t('app.account.changePassword')}
            </Button>
          </ActionGroup>
        </Form>
      </CardBody>
    </Card>
  )
}

export default function Account() {
  const { t } = useTranslation()
  return (
    <>
      <PageTitle title={t('app.account.title')} />
      <PageSection>
        <Profile />
      </PageSection>
      <PageSection>
        <Password />
      </PageSection>
    </>
  )
}
