import { setDefaultTimeout } from 'bun:test'

// End-to-end tests start real processes and wait for traces; give each test room (the default is 5 s). Bun 1.4.5
// keeps this only for the first test file it runs, so each end-to-end file repeats it.
setDefaultTimeout(60_000)
