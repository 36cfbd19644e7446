/**
 * Service colours: nine hues far enough apart to tell at a glance (Tableau's ten with red left out, as red marks
 * errors; two darkened), the most distinct first. Every page colours services from the list of all services the
 * collector knows, in name order, so a service has the same colour on every page and no two services ever share
 * one. Past nine services, further colours are spread around the hue circle.
 */
export const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#59a14f',
  '#b07aa1',
  '#2a9d8f',
  '#c9a227',
  '#e377c2',
  '#9c755f',
  '#7f7f7f',
]

/** A distinct colour for each service: `known` (all services, from `listServices`) and any others shown. */
export function serviceColors(known: Iterable<string>, shown: Iterable<string> = []): Map<string, string> {
  const names = [...new Set([...known, ...shown])].sort()
  return new Map(names.map((name, index) => [name, colorAt(index)]))
}

function colorAt(index: number): string {
  if (index < PALETTE.length) return PALETTE[index]!
  // Golden-angle steps never land on the same hue twice; lightness alternates so neighbours differ more.
  return `hsl(${Math.round((index * 137.508) % 360)} 55% ${index % 2 ? 38 : 48}%)`
}
