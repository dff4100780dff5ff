// The console's entry: languages first (the first screen is already in the reader's language),
// then the app.
import { createRoot } from 'react-dom/client'
import '@patternfly/react-core/dist/styles/base.css'
import './app/app.css'
import { setupI18n } from './i18n/i18n'
import { applyTheme, initialTheme } from './lib/theme'
import { App } from './app/App'

applyTheme(initialTheme())
void setupI18n().then(() => createRoot(document.getElementById('root')!).render(<App />))
