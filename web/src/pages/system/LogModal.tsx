// A job's log in a modal, read as text from the server; refreshed while the job still runs.
import { Button, CodeBlock, CodeBlockCode, EmptyState, Modal, ModalBody, ModalFooter, ModalHeader, Spinner } from '@patternfly/react-core'
import { useQuery } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { ErrorAlert } from '../../components/ErrorAlert'

export function LogModal({ title, queryKey, load, live, onClose }: { title: string; queryKey: readonly unknown[]; load(): Promise<string>; live?: boolean; onClose(): void }) {
  const { t } = useTranslation()
  const q = useQuery({ queryKey, queryFn: load, retry: false, ...(live === true ? { refetchInterval: 2000 } : {}) })
  return (
    <Modal isOpen variant="large" onEscapePress={onClose} aria-labelledby="job-log-title">
      <ModalHeader title={title} labelId="job-log-title" />
      <ModalBody>
        {q.isLoading && <Spinner size="lg" aria-label={t('common.loading')} aria-valuetext={t('common.loading')} />}
        {q.error !== null && <ErrorAlert error={q.error} />}
        {q.data !== undefined &&
          (q.data === '' ? (
            <EmptyState titleText={t('system.log.empty')} headingLevel="h3" />
          ) : (
            <CodeBlock>
              <CodeBlockCode className="berth-job-log">{q.data}</CodeBlockCode>
            </CodeBlock>
          ))}
      </ModalBody>
      <ModalFooter>
        <Button variant="secondary" onClick={() => void q.refetch()} isDisabled={q.isFetching}>
          {t('system.log.refresh')}
        </Button>
        <Button variant="link" onClick={onClose}>
          {t('system.close')}
        </Button>
      </ModalFooter>
    </Modal>
  )
}
