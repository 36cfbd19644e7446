import { afterAll, beforeAll, expect, test } from 'bun:test'
import type { Browser } from 'playwright-core'
import { launchBrowser } from '../support/browser.ts'
import { startCollectorProcess } from './helpers.ts'
import { FAILED_TRACE, failedOrder, PAID_TRACE, paidOrder } from './payloads.ts'

let collector: Awaited<ReturnType<typeof startCollectorProcess>>
let browser: Browser
beforeAll(async () => {
  collector = await startCollectorProcess()
  for (const request of [failedOrder(FAILED_TRACE), paidOrder(PAID_TRACE)]) {
    await fetch(`${collector.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(request),
    })
  }
  browser = await launchBrowser()
}, 60_000)
afterAll(async () => {
  await browser?.close()
  await collector.stop()
})

test('search, open a trace, see the failing span and its message', async () => {
  const page = await browser.newPage()
  await page.goto(collector.url)
  await page.selectOption('select[name=service]', 'payment')
  await page.fill('input[name=minDuration]', '1s')
  await page.check('input[name=errors]')
  await page.click('button[type=submit]')
  await page.waitForURL(/service=payment/)
  const results = page.locator('li.result')
  expect(await results.count()).toBe(1)
  expect(await results.first().textContent()).toContain(FAILED_TRACE)

  await results.first().locator('a').click()
  await page.waitForURL(`**/trace/${FAILED_TRACE}`)
  const failing = page.locator('.row[data-span="a000000000000007"]')
  expect(await failing.locator('.name').textContent()).toBe('payment.create')
  expect(await failing.locator('.status-message').textContent()).toBe('TIMEOUT')
  expect(await failing.getAttribute('class')).toContain('critical')

  const details = page.locator('#details-a000000000000007')
  expect(await details.isVisible()).toBe(false)
  await failing.click()
  expect(await details.isVisible()).toBe(true)
  const text = await details.textContent()
  expect(text).toContain('Status: ERROR TIMEOUT')
  expect(text).toContain('error.type')
  expect(text).toContain('retry_attempt')
  expect(text).toContain('Resource: payment')

  // Collapsing create_payment hides payment.create below it.
  await page.locator('.row[data-span="a000000000000006"] .toggle').click()
  expect(await failing.isVisible()).toBe(false)
  await page.close()
})

test('deep links by trace id, from the jump box too', async () => {
  const page = await browser.newPage()
  await page.goto(`${collector.url}/trace/${PAID_TRACE}`)
  expect(await page.locator('.row').count()).toBe(3)
  await page.fill('header input[name=id]', FAILED_TRACE)
  await page.press('header input[name=id]', 'Enter')
  await page.waitForURL(`**/trace/${FAILED_TRACE}`)
  expect(await page.locator('.row').count()).toBe(7)
  await page.close()
})
