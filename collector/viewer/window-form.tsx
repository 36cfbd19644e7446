import type { Child } from 'hono/jsx'
import { WINDOWS, type WindowName } from './window.ts'

/** The window select of the pages over a stretch of time (services, map); `children` are a page's own fields. */
export function WindowForm({
  action,
  windowName,
  children,
}: {
  action: string
  windowName: WindowName
  children?: Child
}) {
  return (
    <form class="window search" method="get" action={action}>
      <label>
        Window
        <select name="window">
          {WINDOWS.map(([value, label]) => (
            <option value={value} selected={value === windowName}>
              {label}
            </option>
          ))}
        </select>
      </label>
      {children}
      <button type="submit">Show</button>
    </form>
  )
}
