// The log of a task (a retention task's decisions, a webhook delivery's attempts), fetched when
// opened and shown as plain text.
import { Button, CodeBlock, CodeBlockCode, Modal, ModalBody, ModalFooter, ModalHeader, Spinner } from '@patternfly/react-core'
import { useQuery } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { ErrorAlert } from '../../components/ErrorAlert'
import { ModalClose } from '../../components/ModalClose'

export function LogModal({ title, queryKey, load, onClose }: { title: string; queryKey: readonly unknown[]; load(): Promise<string>; onClose(): void }) {
  const { t } = useTranslation()
  const q = useQuery({ queryKey, queryFn: load })
  return (
    <Modal isOpen variant="large" onEscapePress={onClose} aria-labelledby="task-log-title">
      <ModalClose onClose={onClose} />
      <ModalHeader title={title} labelId="task-log-title" />
      <ModalBody>
        {q.error !== null && <ErrorAlert error={q.error} />}
        {q.isLoading && <Spinner size="lg" aria-label={t('common.loading')} aria-valuetext={t('common.loading')} />}
        {q.data !== undefined && (
          <CodeBlock>
            <CodeBlockCode>{q.data === '' ? t('policy.log.empty') : q.data}</CodeBlockCode>
          </CodeBlock>
        )}
      </ModalBody>
      <ModalFooter>
        <Button variant="primary" onClick={onClose}>
          {t('policy.close')}
        </Button>
      </ModalFooter>
    </Modal>
  )
}
