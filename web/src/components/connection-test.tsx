// What the registry and scanner dialogs share: a connection test (its state, and its outcome
// announced to screen readers) and a password field for a credential the server keeps sealed
// (left empty, the stored one is kept).
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { Alert, FormGroup, FormHelperText, HelperText, HelperTextItem, TextInput } from '@patternfly/react-core'
import { ErrorAlert } from './ErrorAlert'
import { ALERT_LABEL } from './alert-label'

export type TestOutcome = { ok: true } | { ok: false; error: unknown } | null

/** Runs `send` as a connection test; `reset` forgets an outcome a changed field made stale. */
export function useConnectionTest(send: () => Promise<unknown>) {
  const [testing, setTesting] = useState(false)
  const [outcome, setOutcome] = useState<TestOutcome>(null)
  const test = async () => {
    setTesting(true)
    setOutcome(null)
    try {
      await send()
      setOutcome({ ok: true })
    } catch (e) {
      setOutcome({ ok: false, error: e })
    } finally {
      setTesting(false)
    }
  }
  return { testing, outcome, test, reset: () => setOutcome(null) }
}

export function TestResult({ outcome, okTitle, failedTitle }: { outcome: TestOutcome; okTitle: string; failedTitle: string }) {
  const { t } = useTranslation()
  return (
    <div aria-live="polite">
      {outcome?.ok === true && <Alert variantLabel={t(ALERT_LABEL.success)} variant="success" isInline title={okTitle} />}
      {outcome?.ok === false && <ErrorAlert error={outcome.error} title={failedTitle} />}
    </div>
  )
}

export function SealedSecretField(o: { id: string; label: string; isRequired?: boolean; value: string; onChange(v: string): void; kept: boolean; keptPlaceholder: string; keptHelp: string }) {
  return (
    <FormGroup label={o.label} isRequired={o.isRequired === true} fieldId={o.id}>
      <TextInput id={o.id} type="password" autoComplete="new-password" value={o.value} onChange={(_e, v) => o.onChange(v)} placeholder={o.kept ? o.keptPlaceholder : ''} />
      {o.kept && (
        <FormHelperText>
          <HelperText>
            <HelperTextItem>{o.keptHelp}</HelperTextItem>
          </HelperText>
        </FormHelperText>
      )}
    </FormGroup>
  )
}
