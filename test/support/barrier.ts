/** A promise the test settles itself: a step held until the test lets it go, or a signal that a step was reached. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((settle) => {
    resolve = settle
  })
  return { promise, resolve }
}
