// The system CVE allowlist (GET/PUT /system/CVEAllowlist) on the settings page: the CVE ids
// every project that reuses the system list ignores when it blocks vulnerable pulls, and the
// day the list stops applying.
import { useEffect, useMemo, useState, type FormEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { ActionGroup, Button, Card, CardBody, CardTitle, Form, HelperText, HelperTextItem, Stack, StackItem } from '@patternfly/react-core'
import { api, ok } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'
import { useToast } from '../../components/Toasts'
import { useAction } from '../../components/use-action'
import { CveAllowlistFields, type AllowlistValue } from './CveAllowlistFields'
import { expiresAtOf } from './project-config'
import { dayOf } from './banner-form'

const ALLOWLIST = ['system', 'cve-allowlist'] as const

export function SystemAllowlist() {
  const { t } = useTranslation()
  const client = useQueryClient()
  const toast = useToast()
  const q = useQuery({ queryKey: ALLOWLIST, queryFn: async () => ok(await api.GET('/api/v2.0/system/CVEAllowlist')) })
  const initial = useMemo<AllowlistValue>(
    () => ({ cves: (q.data?.items ?? []).map((i) => i.cve_id), expires: q.data?.expires_at !== undefined ? dayOf(new Date(q.data.expires_at * 1000).toISOString()) : '' }),
    [q.data],
  )
  const [value, setValue] = useState<AllowlistValue>(initial)
  useEffect(() => setValue(initial), [initial])
  const { busy, error, run } = useAction()
  const dirty = value.cves.join('\n') !== initial.cves.join('\n') || expiresAtOf(value.expires) !== expiresAtOf(initial.expires)

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    await run(async () => {
      ok(await api.PUT('/api/v2.0/system/CVEAllowlist', { body: { items: value.cves.map((cve_id) => ({ cve_id })), expires_at: expiresAtOf(value.expires) } }))
      toast('success', t('users.settings.allowlist.saved'))
      await client.invalidateQueries({ queryKey: ALLOWLIST })
    })
  }

  return (
    <Card>
      <CardTitle component="h2">{t('users.settings.allowlist.title')}</CardTitle>
      <CardBody>
        <Form onSubmit={submit} maxWidth="48rem">
          <Stack hasGutter>
            <StackItem>
              <HelperText>
                <HelperTextItem>{t('users.settings.allowlist.help')}</HelperTextItem>
              </HelperText>
            </StackItem>
            {(q.error ?? error) !== null && (
              <StackItem>
                <ErrorAlert error={q.error ?? error} />
              </StackItem>
            )}
            {q.data !== undefined && <CveAllowlistFields id="system-allowlist" value={value} onChange={setValue} editable />}
            <StackItem>
              <ActionGroup>
                <Button type="submit" isLoading={busy} isDisabled={busy || !dirty}>
                  {t('users.settings.allowlist.save')}
                </Button>
                <Button variant="link" isDisabled={!dirty} onClick={() => setValue(initial)}>
                  {t('users.settings.discard')}
                </Button>
              </ActionGroup>
            </StackItem>
          </Stack>
        </Form>
      </CardBody>
    </Card>
  )
}
