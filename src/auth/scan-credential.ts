// The credential a scanner adapter pulls with: a robot account made for one scan (name prefix
// SCAN_ROBOT_PREFIX, which no robot made through the API can have: '~' is not allowed in robot
// names), given to the adapter as a registry token that grants pull on the one repository scanned.
// The robot expires with the scan's timeout and is deleted when the scan ends; /v2/ refuses its
// tokens once the robot is gone, so the credential stops working then, not at the token's expiry.
// Pull gates (content trust, vulnerability policy) recognise it with isScanCredential and let the
// scanner read what they would refuse to others.
export const SCAN_ROBOT_PREFIX = 'robot$scan~'

/** Whether a principal's (or a token subject's) name is a scan's credential. */
export function isScanCredential(name: string): boolean {
  return name.startsWith(SCAN_ROBOT_PREFIX)
}
