// A list's choice filter (status, trigger...) kept in the URL beside ServerTable's own
// parameters; a new choice starts the list again at its first page.
import { FormSelect, FormSelectOption } from '@patternfly/react-core'
import { useSearchParams } from 'react-router'
import './replication.css'

export function useUrlFilter(name: string): string {
  const [search] = useSearchParams()
  return search.get(name) ?? ''
}

/** `label` names the filter; `all` is the choice that filters nothing. */
export function FilterSelect({ name, label, all, options, prefix = '' }: { name: string; label: string; all: string; options: [value: string, text: string][]; prefix?: string }) {
  const [search, setSearch] = useSearchParams()
  return (
    <FormSelect
      className="berth-replication-fit-select"
      aria-label={label}
      value={search.get(name) ?? ''}
      onChange={(_e, v) =>
        setSearch((prev) => {
          const next = new URLSearchParams(prev)
          if (v === '') next.delete(name)
          else next.set(name, v)
          next.delete(`${prefix}page`)
          return next
        })
      }
    >
      <FormSelectOption value="" label={all} />
      {options.map(([value, text]) => (
        <FormSelectOption key={value} value={value} label={text} />
      ))}
    </FormSelect>
  )
}
