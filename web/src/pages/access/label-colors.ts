// Label colours: a small palette of PatternFly's label colours (which keep their contrast in the
// light and dark themes), stored as Harbor stores colours (#RRGGBB). A colour set elsewhere
// (Harbor's UI, the API) is shown as the nearest colour of the palette.
import type { LabelProps } from '@patternfly/react-core'

export type LabelColor = NonNullable<LabelProps['color']>

export const PALETTE: readonly { color: LabelColor; hex: string; key: string }[] = [
  { color: 'blue', hex: '#0066CC', key: 'access.labels.color.blue' },
  { color: 'teal', hex: '#009596', key: 'access.labels.color.teal' },
  { color: 'green', hex: '#3E8635', key: 'access.labels.color.green' },
  { color: 'yellow', hex: '#F0AB00', key: 'access.labels.color.yellow' },
  { color: 'orange', hex: '#EC7A08', key: 'access.labels.color.orange' },
  { color: 'orangered', hex: '#F4581E', key: 'access.labels.color.orangered' },
  { color: 'red', hex: '#C9190B', key: 'access.labels.color.red' },
  { color: 'purple', hex: '#6753AC', key: 'access.labels.color.purple' },
  { color: 'grey', hex: '#6A6E73', key: 'access.labels.color.grey' },
]

function rgb(hex: string): [number, number, number] | null {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex.trim())
  return m === null ? null : [parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16)]
}

/** The palette's colour closest to `hex`; grey when there is none or it is not a colour. */
export function paletteColor(hex: string | null | undefined): (typeof PALETTE)[number] {
  const grey = PALETTE.find((p) => p.color === 'grey')!
  const wanted = rgb(hex ?? '')
  if (wanted === null) return grey
  let best = grey
  let bestDistance = Infinity
  for (const p of PALETTE) {
    const [r, g, b] = rgb(p.hex)!
    const d = (r - wanted[0]) ** 2 + (g - wanted[1]) ** 2 + (b - wanted[2]) ** 2
    if (d < bestDistance) {
      best = p
      bestDistance = d
    }
  }
  return best
}
