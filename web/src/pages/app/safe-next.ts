// Where sign-in goes afterwards: the `next` parameter, when it is a path of this console.
const FALLBACK = '/projects'
const HERE = 'http://console.invalid'

/** A `next` that would leave the console ("//host", "/\host", "https://...", tabs or newlines that browsers drop) gives the projects (no open redirect). */
export function safeNext(next: string | null): string {
  if (next === null || !next.startsWith('/')) return FALLBACK
  // Resolved as a browser would, then kept only if it stays on this origin and its path
  // cannot be read as another host's ("/./\host" resolves to the path "//host").
  const url = new URL(next, HERE)
  return url.origin === HERE && !url.pathname.startsWith('//') ? `${url.pathname}${url.search}${url.hash}` : FALLBACK
}
