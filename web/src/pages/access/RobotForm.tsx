// Create or edit a robot account, project or system level (the one form of both robot pages):
// name, description, expiry, and what it may do. A new robot's secret is shown here once, and
// is gone when the dialog closes.
import { useState, type FormEvent } from 'react'
import { useTranslation } from 'react-i18next'
import {
  Button,
  Checkbox,
  Form,
  FormFieldGroup,
  FormFieldGroupHeader,
  FormGroup,
  FormHelperText,
  HelperText,
  HelperTextItem,
  Modal,
  ModalBody,
  ModalFooter,
  ModalHeader,
  Radio,
  TextArea,
  TextInput,
} from '@patternfly/react-core'
import { ErrorAlert } from '../../components/ErrorAlert'
import { PROJECT_NAME } from '../projects/CreateProjectModal'
import { PermissionPicker } from './PermissionPicker'
import { SecretModal } from './SecretModal'
import { accessOfRobot, NEVER, permissionsBody, type Grantable, type ProjectAccess, type Robot, type RobotCreate } from './robot-permissions'
import { ModalClose } from '../../components/ModalClose'

/** Every project, in a system robot's project access. */
const ALL_PROJECTS = '*'
const MAX_DAYS = 36_500

export interface RobotFormProps {
  level: 'project' | 'system'
  /** A project robot's project. */
  projectName?: string
  /** The robot being edited; a new one without it. */
  robot?: Robot
  grantable: Grantable
  /** Sends the body; a new robot answers with its full name and secret. */
  save(body: RobotCreate): Promise<{ name: string; secret: string } | void>
  onClose(): void
}

export function RobotForm({ level, projectName, robot, grantable, save, onClose }: RobotFormProps) {
  const { t } = useTranslation()
  const editing = robot !== undefined
  const initial = accessOfRobot(robot?.permissions ?? [])
  const [name, setName] = useState('')
  const [description, setDescription] = useState(robot?.description ?? '')
  const [never, setNever] = useState((robot?.duration ?? 30) === NEVER)
  const [days, setDays] = useState(String(robot !== undefined && robot.duration !== NEVER ? robot.duration : 30))
  const [system, setSystem] = useState(initial.system)
  const [projects, setProjects] = useState<ProjectAccess[]>(
    level === 'project' ? [{ namespace: projectName ?? '', ticked: initial.projects[0]?.ticked ?? new Set() }] : initial.projects,
  )
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [created, setCreated] = useState<{ name: string; secret: string } | null>(null)

  const nameInvalid = name !== '' && (!PROJECT_NAME.test(name) || name.length > 128)
  const dayCount = Number(days)
  const daysInvalid = !never && !(Number.isInteger(dayCount) && dayCount >= 1 && dayCount <= MAX_DAYS)
  const permissions = permissionsBody({ system, projects }, grantable)
  const complete = (editing || (name !== '' && !nameInvalid)) && !daysInvalid && permissions.length > 0

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const answer = await save({ name: editing ? robot.name : name, description, level, duration: never ? NEVER : dayCount, permissions, disable: robot?.disable ?? false })
      if (answer !== undefined) setCreated(answer)
      else onClose()
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  if (created !== null) return <SecretModal title={t('access.robots.secret.createdTitle')} name={created.name} secret={created.secret} onClose={onClose} />

  const setProject = (i: number, patch: Partial<ProjectAccess>) => setProjects((prev) => prev.map((p, j) => (j === i ? { ...p, ...patch } : p)))

  return (
    <Modal isOpen variant="large" onEscapePress={onClose} aria-labelledby="robot-form-title">
      <ModalClose onClose={onClose} />
      <ModalHeader title={editing ? t('access.robots.form.editTitle', { name: robot.name }) : t('access.robots.form.createTitle')} labelId="robot-form-title" />
      <ModalBody>
        <Form id="robot-form" onSubmit={submit}>
          {error !== null && <ErrorAlert error={error} />}
          {!editing && (
            <FormGroup label={t('access.robots.form.name')} isRequired fieldId="robot-name">
              <TextInput id="robot-name" isRequired value={name} onChange={(_e, v) => setName(v)} validated={nameInvalid ? 'error' : 'default'} autoFocus />
              <FormHelperText>
                <HelperText>
                  <HelperTextItem variant={nameInvalid ? 'error' : 'default'}>
                    {t('access.robots.form.nameHelp', { prefix: level === 'project' ? `robot$${projectName ?? ''}+` : 'robot$' })}
                  </HelperTextItem>
                </HelperText>
              </FormHelperText>
            </FormGroup>
          )}
          <FormGroup label={t('access.robots.form.description')} fieldId="robot-description">
            <TextArea id="robot-description" value={description} onChange={(_e, v) => setDescription(v)} maxLength={1024} resizeOrientation="vertical" />
          </FormGroup>
          <FormGroup role="radiogroup" isInline fieldId="robot-expiry" label={t('access.robots.form.expiry')}>
            <Radio id="robot-expiry-never" name="robot-expiry" label={t('access.robots.form.never')} isChecked={never} onChange={() => setNever(true)} />
            <Radio id="robot-expiry-days" name="robot-expiry" label={t('access.robots.form.afterDays')} isChecked={!never} onChange={() => setNever(false)} />
          </FormGroup>
          {!never && (
            <FormGroup label={t('access.robots.form.days')} fieldId="robot-days" isRequired>
              <TextInput id="robot-days" type="number" min={1} max={MAX_DAYS} value={days} onChange={(_e, v) => setDays(v)} validated={daysInvalid ? 'error' : 'default'} />
              <FormHelperText>
                <HelperText>
                  <HelperTextItem variant={daysInvalid ? 'error' : 'default'}>{editing ? t('access.robots.form.daysHelpEdit') : t('access.robots.form.daysHelp')}</HelperTextItem>
                </HelperText>
              </FormHelperText>
            </FormGroup>
          )}
          {level === 'system' && (
            <FormFieldGroup header={<FormFieldGroupHeader titleText={{ text: t('access.robots.form.systemPermissions'), id: 'robot-system-perms' }} />}>
              <PermissionPicker id="robot-system" pairs={grantable.system} ticked={system} onChange={setSystem} />
            </FormFieldGroup>
          )}
          {projects.map((p, i) => (
            <FormFieldGroup
              key={i}
              header={
                <FormFieldGroupHeader
                  titleText={{ text: level === 'project' ? t('access.robots.form.projectPermissions') : p.namespace === ALL_PROJECTS ? t('access.robots.form.allProjects') : t('access.robots.form.projectAccess', { n: i + 1 }), id: `robot-project-${i}` }}
                  actions={
                    level === 'system' ? (
                      <Button variant="secondary" aria-label={t('access.robots.form.removeProjectAccess', { n: i + 1 })} onClick={() => setProjects((prev) => prev.filter((_, j) => j !== i))}>
                        {t('access.robots.form.removeProject')}
                      </Button>
                    ) : undefined
                  }
                />
              }
            >
              {level === 'system' && (
                <>
                  <FormGroup fieldId={`robot-every-${i}`}>
                    <Checkbox id={`robot-every-${i}`} label={t('access.robots.form.everyProject')} isChecked={p.namespace === ALL_PROJECTS} onChange={(_e, on) => setProject(i, { namespace: on ? ALL_PROJECTS : '' })} />
                  </FormGroup>
                  {p.namespace !== ALL_PROJECTS && (
                    <FormGroup label={t('access.robots.form.projectName')} isRequired fieldId={`robot-ns-${i}`}>
                      <TextInput id={`robot-ns-${i}`} value={p.namespace} onChange={(_e, v) => setProject(i, { namespace: v })} />
                    </FormGroup>
                  )}
                </>
              )}
              <PermissionPicker id={`robot-p${i}`} pairs={grantable.project} ticked={p.ticked} onChange={(ticked) => setProject(i, { ticked })} />
            </FormFieldGroup>
          ))}
          {level === 'system' && (
            <div>
              <Button variant="secondary" onClick={() => setProjects((prev) => [...prev, { namespace: '', ticked: new Set() }])}>
                {t('access.robots.form.addProject')}
              </Button>
            </div>
          )}
          {permissions.length === 0 && (
            <HelperText>
              <HelperTextItem>{t('access.robots.form.needPermission')}</HelperTextItem>
            </HelperText>
          )}
        </Form>
      </ModalBody>
      <ModalFooter>
        <Button type="submit" form="robot-form" isLoading={busy} isDisabled={busy || !complete}>
          {editing ? t('access.robots.form.save') : t('access.robots.form.create')}
        </Button>
        <Button variant="link" onClick={onClose}>
          {t('common.cancel')}
        </Button>
      </ModalFooter>
    </Modal>
  )
}
