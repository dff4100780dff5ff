// The repository and tag selectors of a rule (retention and immutability alike): matching or
// excluding, and a doublestar pattern.
import { FormGroup, FormHelperText, FormSelect, FormSelectOption, HelperText, HelperTextItem, InputGroup, InputGroupItem, TextInput } from '@patternfly/react-core'
import { useTranslation } from 'react-i18next'
import type { RepoDecoration, SelectorForm, TagDecoration } from './rules'

const OPTION_KEYS: Record<string, string> = {
  repoMatches: 'policy.selector.option.matching',
  repoExcludes: 'policy.selector.option.excluding',
  matches: 'policy.selector.option.matching',
  excludes: 'policy.selector.option.excluding',
}

export function SelectorFields<F extends SelectorForm>({ form, set, errors, idPrefix, repoDecorations = ['repoMatches', 'repoExcludes'], tagDecorations = ['matches', 'excludes'] }: {
  form: F
  set(patch: Partial<SelectorForm>): void
  errors: Partial<Record<'repoPattern' | 'tagPattern', string>>
  idPrefix: string
  repoDecorations?: readonly string[]
  tagDecorations?: readonly string[]
}) {
  const { t } = useTranslation()
  return (
    <>
      <FormGroup label={t('policy.selector.repositories')} isRequired fieldId={`${idPrefix}-repo-pattern`}>
        <InputGroup>
          <InputGroupItem>
            <FormSelect id={`${idPrefix}-repo-decoration`} value={form.repoDecoration} onChange={(_e, v) => set({ repoDecoration: v as RepoDecoration })} aria-label={t('policy.selector.repoDecoration')}>
              {repoDecorations.map((d) => (
                <FormSelectOption key={d} value={d} label={t(OPTION_KEYS[d] ?? d)} />
              ))}
            </FormSelect>
          </InputGroupItem>
          <InputGroupItem isFill>
            <TextInput id={`${idPrefix}-repo-pattern`} isRequired value={form.repoPattern} onChange={(_e, v) => set({ repoPattern: v })} validated={errors.repoPattern !== undefined ? 'error' : 'default'} />
          </InputGroupItem>
        </InputGroup>
        <FormHelperText>
          <HelperText>
            <HelperTextItem variant={errors.repoPattern !== undefined ? 'error' : 'default'}>{t(errors.repoPattern ?? 'policy.selector.repoHelp')}</HelperTextItem>
          </HelperText>
        </FormHelperText>
      </FormGroup>
      <FormGroup label={t('policy.selector.tags')} isRequired fieldId={`${idPrefix}-tag-pattern`}>
        <InputGroup>
          <InputGroupItem>
            <FormSelect id={`${idPrefix}-tag-decoration`} value={form.tagDecoration} onChange={(_e, v) => set({ tagDecoration: v as TagDecoration })} aria-label={t('policy.selector.tagDecoration')}>
              {tagDecorations.map((d) => (
                <FormSelectOption key={d} value={d} label={t(OPTION_KEYS[d] ?? d)} />
              ))}
            </FormSelect>
          </InputGroupItem>
          <InputGroupItem isFill>
            <TextInput id={`${idPrefix}-tag-pattern`} isRequired value={form.tagPattern} onChange={(_e, v) => set({ tagPattern: v })} validated={errors.tagPattern !== undefined ? 'error' : 'default'} />
          </InputGroupItem>
        </InputGroup>
        <FormHelperText>
          <HelperText>
            <HelperTextItem variant={errors.tagPattern !== undefined ? 'error' : 'default'}>{t(errors.tagPattern ?? 'policy.selector.tagHelp')}</HelperTextItem>
          </HelperText>
        </FormHelperText>
      </FormGroup>
    </>
  )
}
