import type { Child } from 'hono/jsx'
import { VIEWER_CSS, VIEWER_SCRIPT } from './assets.ts'

/** The page frame: header with the pages and a trace-id jump box. */
export function Layout({ title, children }: { title: string; children: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{title} · traces</title>
        <style>{VIEWER_CSS}</style>
      </head>
      <body>
        <header>
          <a href="/" class="brand">
            otel-edge-shop traces
          </a>
          <nav>
            <a href="/">Search</a>
            <a href="/services">Services</a>
            <a href="/map">Service map</a>
          </nav>
          <form action="/trace" method="get" class="jump">
            <input name="id" placeholder="trace id" aria-label="trace id" />
          </form>
        </header>
        <main>{children}</main>
        <script>{VIEWER_SCRIPT}</script>
      </body>
    </html>
  )
}
