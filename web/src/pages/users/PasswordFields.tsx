// A new password and its confirmation, with the server's rules as help, each marked met or not
// as the user types, and a confirmation that differs said so under it.
import { useTranslation } from 'react-i18next'
import { FormGroup, FormHelperText, HelperText, HelperTextItem, TextInput } from '@patternfly/react-core'
import { passwordRules, type PasswordRule } from './password'

export function PasswordFields(p: { idPrefix: string; password: string; confirm: string; onPassword(v: string): void; onConfirm(v: string): void }) {
  const { t } = useTranslation()
  const rules = passwordRules(p.password)
  const invalid = p.password !== '' && !(rules.length && rules.classes)
  // Untouched: plain help; typed: each rule marked met or not.
  const variant = (rule: PasswordRule) => (p.password === '' ? 'default' : rules[rule] ? 'success' : 'error')
  const mismatch = p.confirm !== '' && p.confirm !== p.password
  return (
    <>
      <FormGroup label={t('users.field.password')} isRequired fieldId={`${p.idPrefix}-password`}>
        <TextInput id={`${p.idPrefix}-password`} type="password" isRequired value={p.password} onChange={(_e, v) => p.onPassword(v)} validated={invalid ? 'error' : 'default'} autoComplete="new-password" />
        <FormHelperText>
          <HelperText id={`${p.idPrefix}-password-help`}>
            <HelperTextItem variant={variant('length')}>{t('users.password.ruleLength')}</HelperTextItem>
            <HelperTextItem variant={variant('classes')}>{t('users.password.ruleClasses')}</HelperTextItem>
          </HelperText>
        </FormHelperText>
      </FormGroup>
      <FormGroup label={t('users.field.confirm')} isRequired fieldId={`${p.idPrefix}-confirm`}>
        <TextInput id={`${p.idPrefix}-confirm`} type="password" isRequired value={p.confirm} onChange={(_e, v) => p.onConfirm(v)} validated={mismatch ? 'error' : 'default'} autoComplete="new-password" />
        {mismatch && (
          <FormHelperText>
            <HelperText>
              <HelperTextItem variant="error">{t('users.password.mismatch')}</HelperTextItem>
            </HelperText>
          </FormHelperText>
        )}
      </FormGroup>
    </>
  )
}
