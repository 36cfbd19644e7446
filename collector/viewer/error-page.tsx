import { Layout } from './layout.tsx'

/** What a person sees instead of the API's JSON error: what went wrong, and where to go from here. */
export function ErrorPage({ status, message }: { status: number; message: string }) {
  const title = status === 404 ? 'Not found' : status < 500 ? 'Bad request' : 'Something went wrong'
  return (
    <Layout title={title}>
      <div class="error-page" role="alert">
        <h2>
          {status} · {title}
        </h2>
        <p class="message">{message}</p>
        <p>
          <a href="/">Back to search</a>
          {status < 500 ? ' and try again with other values.' : ' (the collector logged the error).'}
        </p>
      </div>
    </Layout>
  )
}
