import { setDefaultTimeout } from 'bun:test'

// End-to-end tests start real processes and wait for traces; give each test room (the default is 5 s).
setDefaultTimeout(60_000)
