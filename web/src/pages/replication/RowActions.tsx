// The kebab menu of a row's actions, named after the row for screen readers.
import { Button } from '@patternfly/react-core'
import { ActionsColumn, type IAction } from '@patternfly/react-table'

export function RowActions({ items, label }: { items: IAction[]; label: string }) {
  return (
    <ActionsColumn
      items={items}
      actionsToggle={({ toggleRef, onToggle, isOpen }) => (
        <Button ref={toggleRef} variant="plain" onClick={onToggle} aria-expanded={isOpen} aria-label={label}>
          ⋮
        </Button>
      )}
    />
  )
}
