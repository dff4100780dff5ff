// The server's password rules (src/auth/password.ts), checked as the user types so that the
// helper text can mark each rule met or not; the server checks them again.
export type PasswordRule = 'length' | 'classes'

/** Each rule and whether the password meets it. */
export function passwordRules(password: string): Record<PasswordRule, boolean> {
  return {
    length: password.length >= 8 && password.length <= 128,
    classes: /[A-Z]/.test(password) && /[a-z]/.test(password) && /[0-9]/.test(password),
  }
}

/** The first rule the password breaks, or null. */
export function passwordProblem(password: string): PasswordRule | null {
  const rules = passwordRules(password)
  return !rules.length ? 'length' : !rules.classes ? 'classes' : null
}

/** A new password and its confirmation: what stops the form, if anything. */
export function newPasswordProblem(password: string, confirm: string): PasswordRule | 'mismatch' | null {
  return passwordProblem(password) ?? (password === confirm ? null : 'mismatch')
}
