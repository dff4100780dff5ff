// What a screen reader says before an Alert's title. PatternFly's default is English ("Danger
// alert:"), so every Alert gets `variantLabel={t(ALERT_LABEL[variant])}`.
export const ALERT_LABEL = {
  success: 'common.alert.success',
  danger: 'common.alert.danger',
  warning: 'common.alert.warning',
  info: 'common.alert.info',
} as const
