// The server's password rules (src/auth/password.ts), checked as the user types so that the
// helper text can say which rule is not met yet; the server checks them again.
export type PasswordProblem = 'length' | 'classes'

export function passwordProblem(password: string): PasswordProblem | null {
  if (password.length < 8 || password.length > 128) return 'length'
  if (!/[A-Z]/.test(password) || !/[a-z]/.test(password) || !/[0-9]/.test(password)) return 'classes'
  return null
}

/** A new password and its confirmation: what stops the form, if anything. */
export function newPasswordProblem(password: string, confirm: string): PasswordProblem | 'mismatch' | null {
  return passwordProblem(password) ?? (password === confirm ? null : 'mismatch')
}
