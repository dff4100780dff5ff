// The resource:action pairs a robot may be given, as checkboxes grouped by resource.
import { useTranslation } from 'react-i18next'
import { Button, Checkbox, Flex, FormGroup, Grid, GridItem } from '@patternfly/react-core'
import { ACTION_KEYS, RESOURCE_KEYS } from './permission-names'
import { byResource, pairKey, toggled, type Pair } from './robot-permissions'

export interface PermissionPickerProps {
  /** Prefix of the checkboxes' ids (unique on the page). */
  id: string
  pairs: readonly Pair[]
  ticked: ReadonlySet<string>
  onChange(ticked: Set<string>): void
}

export function PermissionPicker({ id, pairs, ticked, onChange }: PermissionPickerProps) {
  const { t } = useTranslation()
  const named = (keys: Record<string, string>, raw: string) => (keys[raw] !== undefined ? t(keys[raw]) : raw)
  const all = pairs.map(pairKey)
  return (
    <>
      <Flex>
        <Button variant="link" isInline onClick={() => onChange(toggled(ticked, all, true))}>
          {t('access.robots.permissions.all')}
        </Button>
        <Button variant="link" isInline onClick={() => onChange(toggled(ticked, all, false))}>
          {t('access.robots.permissions.none')}
        </Button>
      </Flex>
      <Grid hasGutter md={6}>
        {byResource(pairs).map(([resource, actions]) => (
          <GridItem key={resource}>
            <FormGroup role="group" isInline fieldId={`${id}-${resource}`} label={named(RESOURCE_KEYS, resource)}>
              {actions.map((action) => {
                const key = pairKey({ resource, action })
                return (
                  <Checkbox
                    key={action}
                    id={`${id}-${resource}-${action}`}
                    label={named(ACTION_KEYS, action)}
                    isChecked={ticked.has(key)}
                    onChange={(_e, on) => onChange(toggled(ticked, [key], on))}
                  />
                )
              })}
            </FormGroup>
          </GridItem>
        ))}
      </Grid>
    </>
  )
}
