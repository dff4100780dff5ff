// User-written Markdown (repository descriptions...), rendered as React elements through a
// sanitiser: raw HTML in the source is not rendered, and links and images keep only safe
// schemes (rehype-sanitize's GitHub schema), so a stored payload never runs (Harbor's stored
// XSS, GHSA-f9vc-vf3r-pqqq).
import ReactMarkdown from 'react-markdown'
import rehypeSanitize, { defaultSchema } from 'rehype-sanitize'

const schema = { ...defaultSchema, protocols: { ...defaultSchema.protocols, href: ['http', 'https', 'mailto'], src: ['http', 'https'] } }

export function Markdown({ source }: { source: string }) {
  return (
    <div className="berth-markdown">
      <ReactMarkdown skipHtml rehypePlugins={[[rehypeSanitize, schema]]} components={{ a: ({ node: _n, ...props }) => <a {...props} target="_blank" rel="noopener noreferrer nofollow" /> }}>
        {source}
      </ReactMarkdown>
    </div>
  )
}
