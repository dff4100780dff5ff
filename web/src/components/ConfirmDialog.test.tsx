import { describe, expect, it, vi } from 'vitest'
import { render, screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { ConfirmDialog } from './ConfirmDialog'

describe('ConfirmDialog', () => {
  it('closes by its translated close button and by Escape', async () => {
    const onClose = vi.fn()
    render(
      <ConfirmDialog title="Delete x" confirmLabel="Delete" onConfirm={async () => {}} onClose={onClose}>
        body
      </ConfirmDialog>,
    )
    await userEvent.click(screen.getByRole('button', { name: 'Close' }))
    expect(onClose).toHaveBeenCalledTimes(1)
    await userEvent.keyboard('{Escape}')
    expect(onClose).toHaveBeenCalledTimes(2)
  })

  it('stays open and shows the refusal when the action fails', async () => {
    const onClose = vi.fn()
    render(
      <ConfirmDialog title="Delete x" confirmLabel="Delete" onConfirm={() => Promise.reject(new Error('not empty'))} onClose={onClose}>
        body
      </ConfirmDialog>,
    )
    await userEvent.click(screen.getByRole('button', { name: 'Delete' }))
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('not empty'))
    expect(screen.getByRole('alert').textContent).toContain('Error:')
    expect(onClose).not.toHaveBeenCalled()
  })
})
