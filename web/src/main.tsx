// The console's entry: languages first (the first screen is already in the reader's language),
// then the app. Who is signed in is asked meanwhile, not after.
import { createRoot } from 'react-dom/client'
import '@patternfly/react-core/dist/styles/base.css'
import './app/app.css'
import { setupI18n } from './i18n/i18n'
import { applyTheme, initialTheme } from './lib/theme'
import { currentUserQuery } from './auth/session'
import { App, queryClient } from './app/App'

applyTheme(initialTheme())
void queryClient.prefetchQuery(currentUserQuery)
void setupI18n().then(() => createRoot(document.getElementById('root')!).render(<App />))
