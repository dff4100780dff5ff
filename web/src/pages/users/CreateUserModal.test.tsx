import { describe, expect, it } from 'vitest'
import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { CreateUserModal } from './CreateUserModal'
import { newPasswordProblem } from './password'

describe('newPasswordProblem', () => {
  it("applies the server's rules, then the confirmation", () => {
    expect(newPasswordProblem('short1A', 'short1A')).toBe('length')
    expect(newPasswordProblem('alllowercase1', 'alllowercase1')).toBe('classes')
    expect(newPasswordProblem('Passw0rd!', 'Passw0rd?')).toBe('mismatch')
    expect(newPasswordProblem('Passw0rd!', 'Passw0rd!')).toBeNull()
  })
})

describe('CreateUserModal', () => {
  it('creates only when the confirmation matches a password the server accepts', async () => {
    const user = userEvent.setup()
    render(<CreateUserModal onClose={() => {}} onCreated={() => {}} />)
    const create = screen.getByRole('button', { name: 'Create' })
    await user.type(screen.getByLabelText(/^User name/), 'alice')
    await user.type(screen.getByLabelText(/^Password/), 'Secret-Passw0rd')
    await user.type(screen.getByLabelText(/^Confirm password/), 'Secret-Passw0rx')
    expect(screen.getByText('The passwords do not match.')).toBeTruthy()
    expect(create).toHaveProperty('disabled', true)
    await user.clear(screen.getByLabelText(/^Confirm password/))
    await user.type(screen.getByLabelText(/^Confirm password/), 'Secret-Passw0rd')
    expect(screen.queryByText('The passwords do not match.')).toBeNull()
    expect(create).toHaveProperty('disabled', false)
  })

  it('marks the rule a password breaks', async () => {
    const user = userEvent.setup()
    render(<CreateUserModal onClose={() => {}} onCreated={() => {}} />)
    await user.type(screen.getByLabelText(/^Password/), 'lowercase-only-1')
    expect(screen.getByLabelText(/^Password/).getAttribute('aria-invalid')).toBe('true')
  })
})
