// The frame around every signed-in page: masthead (language, theme, user menu), the side
// navigation (administration only for administrators), a skip link to the content.
import { Suspense, useState } from 'react'
import { Navigate, NavLink, Outlet, useLocation, useNavigate } from 'react-router'
import { useTranslation } from 'react-i18next'
import {
  Dropdown,
  DropdownItem,
  DropdownList,
  Masthead,
  MastheadBrand,
  MastheadContent,
  MastheadLogo,
  MastheadMain,
  MastheadToggle,
  MenuToggle,
  Nav,
  NavExpandable,
  NavItem,
  NavList,
  Page,
  PageSidebar,
  PageSidebarBody,
  PageToggleButton,
  SkipToContent,
  Toolbar,
  ToolbarContent,
  ToolbarGroup,
  ToolbarItem,
} from '@patternfly/react-core'
import { useSession, useUser } from '../auth/session'
import { SystemBanner } from '../components/SystemBanner'
import { useSystemInfo } from '../api/system-info'
import { LanguageMenu, ThemeSwitch } from './Preferences'
import { Loading } from './App'

const MAIN = 'berth-main'

export function RequireSignIn() {
  const { user } = useSession()
  const location = useLocation()
  if (user === undefined) return <Loading />
  if (user === null) return <Navigate to={`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`} replace />
  return <Outlet />
}

export function RequireAdmin() {
  const user = useUser()
  if (!user.sysadmin_flag) return <Navigate to="/projects" replace />
  return <Outlet />
}

/** The administration pages, in the navigation's order: path under /admin and catalogue key. */
export const ADMIN_PAGES = [
  ['overview', 'app.nav.overview'],
  ['users', 'app.nav.users'],
  ['robots', 'app.nav.robots'],
  ['registries', 'app.nav.registries'],
  ['replications', 'app.nav.replications'],
  ['scanners', 'app.nav.scanners'],
  ['security-hub', 'app.nav.securityHub'],
  ['labels', 'app.nav.labels'],
  ['quotas', 'app.nav.quotas'],
  ['gc', 'app.nav.gc'],
  ['audit-purge', 'app.nav.auditPurge'],
  ['jobservice', 'app.nav.jobService'],
  ['logs', 'app.nav.logs'],
  ['settings', 'app.nav.settings'],
] as const

function UserMenu() {
  const { t } = useTranslation()
  const user = useUser()
  const { signOut } = useSession()
  const navigate = useNavigate()
  const [open, setOpen] = useState(false)
  return (
    <Dropdown
      isOpen={open}
      onOpenChange={setOpen}
      popperProps={{ position: 'right' }}
      toggle={(ref) => (
        <MenuToggle ref={ref} onClick={() => setOpen(!open)} isExpanded={open} variant="plainText" aria-label={t('app.userMenu', { name: user.username })}>
          {user.username}
        </MenuToggle>
      )}
    >
      <DropdownList>
        <DropdownItem key="account" onClick={() => navigate('/account')}>
          {t('app.account')}
        </DropdownItem>
        <DropdownItem
          key="sign-out"
          onClick={async () => {
            await signOut()
            navigate('/sign-in')
          }}
        >
          {t('app.signOut')}
        </DropdownItem>
      </DropdownList>
    </Dropdown>
  )
}

function Sidebar() {
  const { t } = useTranslation()
  const user = useUser()
  const location = useLocation()
  const link = (to: string, label: string) => (
    <NavItem key={to} isActive={location.pathname === to || location.pathname.startsWith(`${to}/`)}>
      <NavLink to={to}>{label}</NavLink>
    </NavItem>
  )
  return (
    <PageSidebar>
      <PageSidebarBody>
        <Nav aria-label={t('app.nav.label')}>
          <NavList>
            {link('/projects', t('app.nav.projects'))}
            {link('/cve-exports', t('app.nav.cveExports'))}
            {user.sysadmin_flag && (
              <NavExpandable title={t('app.nav.administration')} isExpanded isActive={location.pathname.startsWith('/admin')}>
                {ADMIN_PAGES.map(([path, key]) => link(`/admin/${path}`, t(key)))}
              </NavExpandable>
            )}
          </NavList>
        </Nav>
      </PageSidebarBody>
    </PageSidebar>
  )
}

export function AppShell() {
  const { t } = useTranslation()
  const info = useSystemInfo()
  const masthead = (
    <Masthead>
      <MastheadMain>
        <MastheadToggle>
          <PageToggleButton isHamburgerButton aria-label={t('app.nav.toggle')} />
        </MastheadToggle>
        <MastheadBrand>
          <MastheadLogo component={(props) => <NavLink {...props} to="/projects" className="berth-brand" />}>Berth</MastheadLogo>
        </MastheadBrand>
      </MastheadMain>
      <MastheadContent>
        <Toolbar isFullHeight isStatic>
          <ToolbarContent>
            <ToolbarGroup align={{ default: 'alignEnd' }}>
              <ToolbarItem>
                <LanguageMenu />
              </ToolbarItem>
              <ToolbarItem>
                <ThemeSwitch />
              </ToolbarItem>
              <ToolbarItem>
                <UserMenu />
              </ToolbarItem>
            </ToolbarGroup>
          </ToolbarContent>
        </Toolbar>
      </MastheadContent>
    </Masthead>
  )
  return (
    <Page masthead={masthead} sidebar={<Sidebar />} isManagedSidebar mainContainerId={MAIN} skipToContent={<SkipToContent href={`#${MAIN}`}>{t('app.skipToContent')}</SkipToContent>}>
      <SystemBanner raw={info.data?.banner_message} readOnly={info.data?.read_only === true} className="berth-banner" />
      <Suspense fallback={<Loading />}>
        <Outlet />
      </Suspense>
    </Page>
  )
}
