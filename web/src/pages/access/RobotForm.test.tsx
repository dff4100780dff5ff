import { useState } from 'react'
import { describe, expect, it, vi } from 'vitest'
import { render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { RobotForm } from './RobotForm'
import type { Grantable, RobotCreate } from './robot-permissions'

const grantable: Grantable = {
  system: [{ resource: 'audit-log', action: 'list' }],
  project: [
    { resource: 'repository', action: 'pull' },
    { resource: 'repository', action: 'push' },
    { resource: 'artifact', action: 'read' },
  ],
}

/** The robot page's part: a button that opens the form, which is gone once closed. */
function Harness({ save }: { save(body: RobotCreate): Promise<{ name: string; secret: string } | void> }) {
  const [open, setOpen] = useState(false)
  return (
    <>
      <button onClick={() => setOpen(true)}>open</button>
      {open && <RobotForm level="project" projectName="demo" grantable={grantable} save={save} onClose={() => setOpen(false)} />}
    </>
  )
}

// Typing and clicking through a large dialog is slow in jsdom when the whole suite runs at once.
const SLOW = 20_000

describe('RobotForm', () => {
  it('sends the ticked pairs as the robot body and shows the secret once', async () => {
    const user = userEvent.setup()
    const save = vi.fn(async (_body: RobotCreate) => ({ name: 'robot$demo+ci', secret: 'S3cret-shown-once' }))
    render(<Harness save={save} />)
    await user.click(screen.getByText('open'))

    const create = screen.getByRole('button', { name: 'Create' })
    await user.type(screen.getByLabelText(/^Name/), 'ci')
    expect((create as HTMLButtonElement).disabled).toBe(true)
    expect(screen.getByText('Choose at least one permission.')).toBeTruthy()

    const repository = screen.getByRole('group', { name: 'Repository' })
    await user.click(within(repository).getByLabelText('Pull'))
    await user.click(within(repository).getByLabelText('Push'))
    await user.click(screen.getByLabelText('Never expires'))
    await user.click(create)

    expect(save).toHaveBeenCalledTimes(1)
    expect(save.mock.calls[0]![0]).toEqual({
      name: 'ci',
      description: '',
      level: 'project',
      duration: -1,
      disable: false,
      permissions: [{ kind: 'project', namespace: 'demo', access: [{ resource: 'repository', action: 'pull' }, { resource: 'repository', action: 'push' }] }],
    })

    const secretBox = await screen.findByDisplayValue('S3cret-shown-once')
    expect(secretBox).toBeTruthy()
    expect(screen.getByDisplayValue('robot$demo+ci')).toBeTruthy()
    expect(screen.getByText('Copy the secret now')).toBeTruthy()
    expect(screen.getByRole('button', { name: 'Copy the secret' })).toBeTruthy()

    await user.click(screen.getByRole('button', { name: 'I have copied it' }))
    expect(screen.queryByDisplayValue('S3cret-shown-once')).toBeNull()
    expect(document.body.textContent).not.toContain('S3cret-shown-once')

    // Opened again: a new, empty form; the secret is nowhere.
    await user.click(screen.getByText('open'))
    expect(screen.getByLabelText(/^Name/)).toHaveProperty('value', '')
    expect(screen.queryByDisplayValue('S3cret-shown-once')).toBeNull()
  }, SLOW)

  it('an expiry in days is sent as the duration; a bad number blocks saving', async () => {
    const user = userEvent.setup()
    const save = vi.fn(async (_body: RobotCreate) => ({ name: 'robot$demo+x', secret: 'x' }))
    render(<Harness save={save} />)
    await user.click(screen.getByText('open'))
    await user.type(screen.getByLabelText(/^Name/), 'x')
    await user.click(within(screen.getByRole('group', { name: 'Artifact' })).getByLabelText('Read'))
    await user.click(screen.getByLabelText('Expires after a number of days'))
    const days = screen.getByLabelText(/^Days/)
    await user.clear(days)
    await user.type(days, '0')
    expect((screen.getByRole('button', { name: 'Create' }) as HTMLButtonElement).disabled).toBe(true)
    await user.clear(days)
    await user.type(days, '90')
    await user.click(screen.getByRole('button', { name: 'Create' }))
    expect(save.mock.calls[0]![0]).toMatchObject({ duration: 90, permissions: [{ kind: 'project', namespace: 'demo', access: [{ resource: 'artifact', action: 'read' }] }] })
  }, SLOW)

  it('editing shows the saved ticks and sends them back changed', async () => {
    const user = userEvent.setup()
    const save = vi.fn(async (_body: RobotCreate) => undefined)
    const onClose = vi.fn()
    const robot = {
      id: 7,
      name: 'robot$demo+ci',
      description: 'CI',
      level: 'project',
      duration: -1,
      editable: true,
      disable: false,
      expires_at: -1,
      creation_time: '',
      update_time: '',
      permissions: [{ kind: 'project', namespace: 'demo', access: [{ resource: 'repository', action: 'pull' }] }],
    }
    render(<RobotForm level="project" projectName="demo" robot={robot} grantable={grantable} save={save} onClose={onClose} />)
    const repository = screen.getByRole('group', { name: 'Repository' })
    expect((within(repository).getByLabelText('Pull') as HTMLInputElement).checked).toBe(true)
    expect((within(repository).getByLabelText('Push') as HTMLInputElement).checked).toBe(false)
    await user.click(within(repository).getByLabelText('Pull'))
    await user.click(within(repository).getByLabelText('Push'))
    await user.click(screen.getByRole('button', { name: 'Save' }))
    expect(save.mock.calls[0]![0]).toMatchObject({ name: 'robot$demo+ci', description: 'CI', permissions: [{ kind: 'project', namespace: 'demo', access: [{ resource: 'repository', action: 'push' }] }] })
    expect(onClose).toHaveBeenCalled()
  }, SLOW)
})
