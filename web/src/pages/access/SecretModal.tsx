// A robot's secret, shown once: after creation and after a refresh. Berth keeps only a hash, so
// closing this is the last chance to copy it.
import { useTranslation } from 'react-i18next'
import { Alert, Button, ClipboardCopy, Content, Modal, ModalBody, ModalFooter, ModalHeader, Stack } from '@patternfly/react-core'
import { ModalClose } from '../../components/ModalClose'
import { ALERT_LABEL } from '../../components/alert-label'

export function SecretModal({ title, name, secret, onClose }: { title: string; name: string; secret: string; onClose(): void }) {
  const { t } = useTranslation()
  return (
    <Modal isOpen variant="small" onEscapePress={onClose} aria-labelledby="robot-secret-title">
      <ModalClose onClose={onClose} />
      <ModalHeader title={title} labelId="robot-secret-title" />
      <ModalBody>
        <Stack hasGutter>
          <Alert variantLabel={t(ALERT_LABEL.warning)} variant="warning" isInline title={t('access.robots.secret.once')}>
            {t('access.robots.secret.onceHelp')}
          </Alert>
          <Content>
            <dl>
              <dt>{t('access.robots.secret.name')}</dt>
              <dd>
                <ClipboardCopy isReadOnly hoverTip={t('access.robots.secret.copy')} clickTip={t('access.robots.secret.copied')} textAriaLabel={t('access.robots.secret.name')} copyAriaLabel={t('access.robots.secret.copyName')}>
                  {name}
                </ClipboardCopy>
              </dd>
              <dt>{t('access.robots.secret.secret')}</dt>
              <dd>
                <ClipboardCopy isReadOnly hoverTip={t('access.robots.secret.copy')} clickTip={t('access.robots.secret.copied')} textAriaLabel={t('access.robots.secret.secret')} copyAriaLabel={t('access.robots.secret.copySecret')}>
                  {secret}
                </ClipboardCopy>
              </dd>
            </dl>
          </Content>
        </Stack>
      </ModalBody>
      <ModalFooter>
        <Button variant="primary" onClick={onClose}>
          {t('access.robots.secret.done')}
        </Button>
      </ModalFooter>
    </Modal>
  )
}
