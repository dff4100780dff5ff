import { afterEach, describe, expect, it } from 'vitest'
import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { SystemBanner } from './SystemBanner'

const banner = (o: object) => JSON.stringify(o)

describe('SystemBanner', () => {
  afterEach(() => sessionStorage.clear())

  it('shows a banner that cannot be closed without a close button', () => {
    render(<SystemBanner raw={banner({ message: 'Maintenance tonight', type: 'warning', closable: false })} />)
    expect(screen.getByText('Maintenance tonight')).toBeTruthy()
    expect(screen.queryByRole('button')).toBeNull()
  })

  it('closes a closable banner, which stays closed on the next page until the message changes', async () => {
    const raw = banner({ message: 'Welcome', type: 'info', closable: true })
    const first = render(<SystemBanner raw={raw} />)
    await userEvent.click(screen.getByRole('button', { name: /Welcome/ }))
    expect(screen.queryByText('Welcome')).toBeNull()
    first.unmount()
    render(<SystemBanner raw={raw} />)
    expect(screen.queryByText('Welcome')).toBeNull()
    render(<SystemBanner raw={banner({ message: 'Upgrade at noon', type: 'info', closable: true })} />)
    expect(screen.getByText('Upgrade at noon')).toBeTruthy()
  })

  it('says the registry is read-only, above the configured banner, with no close button', () => {
    render(<SystemBanner raw={banner({ message: 'Upgrade at noon', type: 'info', closable: false })} readOnly />)
    const alerts = screen.getAllByText(/Read-only mode|Upgrade at noon/)
    expect(alerts.map((a) => a.textContent)).toEqual([expect.stringMatching(/^Warning:Read-only mode: pushes, deletions/), 'Information:Upgrade at noon'])
    expect(screen.queryByRole('button')).toBeNull()
  })

  it('shows the read-only warning without a configured banner too', () => {
    render(<SystemBanner raw="" readOnly />)
    expect(screen.getByText(/^Read-only mode/)).toBeTruthy()
  })

  it('shows nothing without a banner', () => {
    const { container } = render(<SystemBanner raw="" />)
    expect(container.textContent).toBe('')
  })
})
