// A modal's close button in the reader's language. PatternFly's own (drawn when a Modal gets
// `onClose`) is labelled "Close" in English whatever the language, so a modal takes
// `onEscapePress` instead and puts this first inside: the same markup, a translated label.
import { Button } from '@patternfly/react-core'
import RhMicronsCloseIcon from '@patternfly/react-icons/dist/esm/icons/rh-microns-close-icon'
import { useTranslation } from 'react-i18next'

export function ModalClose({ onClose }: { onClose(): void }) {
  const { t } = useTranslation()
  return (
    <div className="pf-v6-c-modal-box__close">
      <Button variant="plain" onClick={onClose} aria-label={t('common.close')} icon={<RhMicronsCloseIcon />} />
    </div>
  )
}
