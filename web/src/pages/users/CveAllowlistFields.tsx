// The fields of a CVE allowlist, shared by a project's configuration and the system settings:
// the ids (removable labels), a box to add ids typed or pasted in one go, and the expiry day.
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { Button, FormGroup, FormHelperText, HelperText, HelperTextItem, InputGroup, InputGroupItem, Label, LabelGroup, StackItem, TextInput } from '@patternfly/react-core'
import { CVE_ID, cveIdsOf } from './project-config'

export interface AllowlistValue {
  cves: string[]
  /** Last day the allowlist applies (YYYY-MM-DD, local); empty for never expires. */
  expires: string
}

/** Stack items (the caller's Stack holds them): the ids, the add box when editable, the expiry. */
export function CveAllowlistFields({ id, value, onChange, editable }: { id: string; value: AllowlistValue; onChange(v: AllowlistValue): void; editable: boolean }) {
  const { t } = useTranslation()
  const [adding, setAdding] = useState('')
  const typed = cveIdsOf(adding)
  const badIds = typed.filter((c) => !CVE_ID.test(c))
  const addCves = () => {
    if (typed.length === 0 || badIds.length > 0) return
    onChange({ ...value, cves: [...value.cves, ...typed.filter((c, i) => !value.cves.includes(c) && typed.indexOf(c) === i)] })
    setAdding('')
  }
  return (
    <>
      <StackItem>
        {value.cves.length === 0 ? (
          <HelperText>
            <HelperTextItem>{t('users.config.allowlistEmpty')}</HelperTextItem>
          </HelperText>
        ) : (
          <LabelGroup categoryName={t('users.config.allowlistItems')} numLabels={20} expandedText={t('users.config.showLess')} collapsedText={t('users.config.showMore', { count: value.cves.length - 20 })}>
            {value.cves.map((c) => (
              <Label key={c} {...(editable ? { onClose: () => onChange({ ...value, cves: value.cves.filter((x) => x !== c) }), closeBtnAriaLabel: t('users.config.removeCve', { id: c }) } : {})}>
                {c}
              </Label>
            ))}
          </LabelGroup>
        )}
      </StackItem>
      {editable && (
        <StackItem>
          <FormGroup label={t('users.config.addCves')} fieldId={`${id}-add-cves`}>
            <InputGroup>
              <InputGroupItem isFill>
                <TextInput
                  id={`${id}-add-cves`}
                  value={adding}
                  placeholder={t('users.config.addCvesPlaceholder')}
                  onChange={(_e, v) => setAdding(v)}
                  onKeyDown={(e) => {
                    if (e.key === 'Enter') {
                      e.preventDefault()
                      addCves()
                    }
                  }}
                  validated={badIds.length > 0 ? 'error' : 'default'}
                />
              </InputGroupItem>
              <InputGroupItem>
                <Button variant="control" onClick={addCves} isDisabled={typed.length === 0 || badIds.length > 0}>
                  {t('users.config.add')}
                </Button>
              </InputGroupItem>
            </InputGroup>
            <FormHelperText>
              <HelperText>
                <HelperTextItem variant={badIds.length > 0 ? 'error' : 'default'}>{badIds.length > 0 ? t('users.config.badCve', { id: badIds[0] }) : t('users.config.addCvesHelp')}</HelperTextItem>
              </HelperText>
            </FormHelperText>
          </FormGroup>
        </StackItem>
      )}
      <StackItem>
        <FormGroup label={t('users.config.expires')} fieldId={`${id}-expires`}>
          <TextInput id={`${id}-expires`} type="date" value={value.expires} isDisabled={!editable} onChange={(_e, v) => onChange({ ...value, expires: v })} />
          <FormHelperText>
            <HelperText>
              <HelperTextItem>{t('users.config.expiresHelp')}</HelperTextItem>
            </HelperText>
          </FormHelperText>
        </FormGroup>
      </StackItem>
    </>
  )
}
