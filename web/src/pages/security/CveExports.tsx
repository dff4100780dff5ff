// CVE exports (/cve-exports): the caller's own exports (Harbor keeps them per user; the newest
// 100), their status, and the CSV of each finished one. The server removes a file, with its
// entry, once it has been downloaded in full, and after 24 hours when it never was.
import { useTranslation } from 'react-i18next'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { Alert, Button, EmptyState, PageSection } from '@patternfly/react-core'
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table'
import { ErrorAlert } from '../../components/ErrorAlert'
import { PageTitle } from '../../components/PageTitle'
import { ALERT_LABEL } from '../../components/alert-label'
import { useFormat } from '../../lib/format'
import { Loading } from '../../app/App'
import { StatusLabel } from '../system/StatusLabel'
import { runStatus } from '../system/status'
import { EXPORTS, downloadUrl, downloadable, exportsQuery } from './cve-export'

/** How long after a download click the list asks again (the server removes a downloaded export). */
const AFTER_DOWNLOAD_MS = 2_000

export default function CveExports() {
  const { t } = useTranslation()
  const f = useFormat()
  const client = useQueryClient()
  const q = useQuery(exportsQuery)
  const items = q.data ?? []
  return (
    <>
      <PageTitle title={t('security.exports.title')} description={t('security.exports.intro')} />
      <PageSection>
        <Alert variantLabel={t(ALERT_LABEL.info)} variant="info" isInline component="p" title={t('security.exports.once')} className="pf-v6-u-mb-md" />
        {q.error !== null && <ErrorAlert error={q.error} />}
        {q.isLoading && <Loading />}
        {q.data !== undefined && items.length === 0 && <EmptyState titleText={t('security.exports.empty')} headingLevel="h2" />}
        {items.length > 0 && (
          <Table aria-label={t('security.exports.title')} variant="compact">
            <Thead>
              <Tr>
                <Th>{t('security.exports.id')}</Th>
                <Th>{t('security.exports.status')}</Th>
                <Th>{t('security.exports.started')}</Th>
                <Th>{t('security.exports.ended')}</Th>
                <Th>{t('security.exports.detail')}</Th>
                <Th screenReaderText={t('security.exports.file')} />
              </Tr>
            </Thead>
            <Tbody>
              {items.map((e) => (
                <Tr key={e.id}>
                  <Td dataLabel={t('security.exports.id')}>{e.id}</Td>
                  <Td dataLabel={t('security.exports.status')}>
                    <StatusLabel look={runStatus(e.status)} raw={e.status} />
                  </Td>
                  <Td dataLabel={t('security.exports.started')}>{f.dateTime(e.start_time)}</Td>
                  <Td dataLabel={t('security.exports.ended')}>{f.dateTime(e.end_time)}</Td>
                  <Td dataLabel={t('security.exports.detail')}>{e.status_text}</Td>
                  <Td dataLabel={t('security.exports.file')}>
                    {downloadable(e) ? (
                      <Button
                        component="a"
                        variant="link"
                        isInline
                        href={downloadUrl(e.id)}
                        download
                        aria-label={t('security.exports.downloadOf', { id: e.id })}
                        onClick={() => setTimeout(() => void client.invalidateQueries({ queryKey: EXPORTS }), AFTER_DOWNLOAD_MS)}
                      >
                        {t('security.exports.download')}
                      </Button>
                    ) : (
                      '—'
                    )}
                  </Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
        )}
      </PageSection>
    </>
  )
}
