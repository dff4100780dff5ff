import { describe, expect, it } from 'vitest'
import { render, screen } from '@testing-library/react'
import userEvent, { type UserEvent } from '@testing-library/user-event'
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

/** Puts text into a field in one input event (typing key by key is slow on a busy machine). */
async function fill(user: UserEvent, label: RegExp, text: string) {
  const field = screen.getByLabelText(label)
  await user.clear(field)
  await user.click(field)
  await user.paste(text)
}

describe('CreateUserModal', () => {
  it('creates only when the confirmation matches a password the server accepts', async () => {
    const user = userEvent.setup()
    render(<CreateUserModal onClose={() => {}} onCreated={() => {}} />)
    const create = screen.getByRole('button', { name: 'Create' })
    await fill(user, /^User name/, 'alice')
    await fill(user, /^Password/, 'Secret-Passw0rd')
    await fill(user, /^Confirm password/, 'Secret-Passw0rx')
    expect(screen.getByText('The passwords do not match.')).toBeTruthy()
    expect(create).toHaveProperty('disabled', true)
    await fill(user, /^Confirm password/, 'Secret-Passw0rd')
    expect(screen.queryByText('The passwords do not match.')).toBeNull()
    expect(create).toHaveProperty('disabled', false)
    // A PatternFly modal renders slowly under jsdom on a loaded machine.
  }, 15_000)

  it('marks the rule a password breaks', async () => {
    const user = userEvent.setup()
    render(<CreateUserModal onClose={() => {}} onCreated={() => {}} />)
    await fill(user, /^Password/, 'lowercase-only-1')
    expect(screen.getByLabelText(/^Password/).getAttribute('aria-invalid')).toBe('true')
  })
})
