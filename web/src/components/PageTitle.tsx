// A page's heading (and the document title, so that tabs and history read well).
import { useEffect, type ReactNode } from 'react'
import { Content, PageSection } from '@patternfly/react-core'

export function PageTitle({ title, description, children }: { title: string; description?: ReactNode; children?: ReactNode }) {
  useEffect(() => {
    document.title = `${title} · Berth`
  }, [title])
  return (
    <PageSection>
      <Content>
        <h1>{title}</h1>
        {description !== undefined && <p>{description}</p>}
      </Content>
      {children}
    </PageSection>
  )
}
