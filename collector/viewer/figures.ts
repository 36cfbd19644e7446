/** Calls a second, or a minute when fewer than one in ten seconds. */
export function formatRate(perSecond: number): string {
  if (perSecond >= 0.1) return `${round(perSecond)}/s`
  return `${round(perSecond * 60)}/min`
}

/** A share as a percentage with two significant digits: `0.5%`, `12%`, `100%`. */
export const formatShare = (share: number) => `${round(share * 100)}%`

const round = (value: number) => (value >= 100 ? Math.round(value) : Number(value.toPrecision(2))).toString()
