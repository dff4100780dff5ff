// A task's log, read again every 2 s while the task runs.
import { useTranslation } from 'react-i18next'
import { useQuery } from '@tanstack/react-query'
import { Button, CodeBlock, CodeBlockCode, Modal, ModalBody, ModalFooter, ModalHeader, Spinner } from '@patternfly/react-core'
import { api, ok } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'
import type { Task } from './api-types'
import { isRunning } from './status'
import { ModalClose } from '../../components/ModalClose'

export function TaskLogModal({ task, onClose, pollMs }: { task: Task; onClose(): void; pollMs: number }) {
  const { t } = useTranslation()
  const log = useQuery({
    queryKey: ['replication', 'task-log', task.execution_id, task.id],
    queryFn: async () =>
      ok(await api.GET('/api/v2.0/replication/executions/{id}/tasks/{task_id}/log', { params: { path: { id: String(task.execution_id), task_id: String(task.id) } }, parseAs: 'text' })),
    refetchInterval: isRunning(task.status) ? pollMs : false,
  })
  return (
    <Modal isOpen variant="large" onEscapePress={onClose} aria-labelledby="task-log-title">
      <ModalClose onClose={onClose} />
      <ModalHeader title={t('replication.task.logTitle', { id: task.id })} description={task.src_resource || task.dst_resource} labelId="task-log-title" />
      <ModalBody>
        {log.error !== null && <ErrorAlert error={log.error} />}
        {log.isLoading && <Spinner aria-valuetext={t('common.loading')} size="lg" aria-label={t('common.loading')} />}
        {log.data !== undefined && (
          <CodeBlock>
            <CodeBlockCode id="task-log">{log.data === '' ? t('replication.task.logEmpty') : log.data}</CodeBlockCode>
          </CodeBlock>
        )}
      </ModalBody>
      <ModalFooter>
        <Button variant="primary" onClick={onClose}>
          {t('replication.close')}
        </Button>
      </ModalFooter>
    </Modal>
  )
}
