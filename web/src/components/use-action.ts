// An action started from a form or a button (save, create, delete...): busy while it runs, and
// its failure kept to show in place (ErrorAlert) rather than closing the dialog.
import { useCallback, useState } from 'react'

export interface Action {
  busy: boolean
  error: unknown
  /** Runs `action`; true when it succeeded, false when it failed (the error is then in `error`). */
  run(action: () => Promise<unknown>): Promise<boolean>
  setError(error: unknown): void
}

export function useAction(): Action {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const run = useCallback(async (action: () => Promise<unknown>) => {
    setBusy(true)
    setError(null)
    try {
      await action()
      return true
    } catch (err) {
      setError(err)
      return false
    } finally {
      setBusy(false)
    }
  }, [])
  return { busy, error, run, setError }
}
