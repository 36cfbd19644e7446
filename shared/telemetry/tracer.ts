import {
  type Attributes,
  type AttributeValue,
  type Context,
  context,
  diag,
  type Exception,
  type HrTime,
  INVALID_SPAN_CONTEXT,
  INVALID_SPANID,
  INVALID_TRACEID,
  isSpanContextValid,
  type Link,
  SamplingDecision,
  type Span,
  type SpanAttributes,
  type SpanContext,
  SpanKind,
  type SpanOptions,
  type SpanStatus,
  SpanStatusCode,
  type TimeInput,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api'
import {
  hrTime,
  hrTimeDuration,
  type InstrumentationScope,
  isAttributeValue,
  isTimeInput,
  isTimeInputHrTime,
  isTracingSuppressed,
  millisToHrTime,
  otperformance,
} from '@opentelemetry/core'
import type { Resource } from '@opentelemetry/resources'
import type { ReadableSpan, Sampler, SpanLimits, SpanProcessor, TimedEvent } from '@opentelemetry/sdk-trace-base'
import {
  ATTR_EXCEPTION_MESSAGE,
  ATTR_EXCEPTION_STACKTRACE,
  ATTR_EXCEPTION_TYPE,
} from '@opentelemetry/semantic-conventions'

export interface LeanTracerOptions {
  resource: Resource
  scope: InstrumentationScope
  sampler: Sampler
  spanLimits: Required<SpanLimits>
  /** Where spans go when they start and end; none: spans are made and sampled, then go nowhere. */
  processor?: SpanProcessor
  /**
   * The sampler does not record a span whose parent is valid and not sampled (it returns NOT_RECORD), whatever its
   * name and attributes: `always_off` and the parent-based samplers the environment configures (sampler.ts). Such a
   * span is then made without asking the sampler, and without its attributes, which nothing would read: in a trace
   * that is not sampled a span costs its id, and the instrumentation skips working its attributes out
   * (`mayRecordUnder`).
   */
  unsampledParentDecides?: boolean
}

/**
 * The arguments of a `startActiveSpan` call, whichever of its forms: the function is the last argument, as in
 * (name, fn), (name, options, fn) or (name, options, context, fn). Undefined when there is no function.
 */
export function activeSpanCall<F>(
  arg2?: SpanOptions | F,
  arg3?: Context | F,
  arg4?: F,
): { options?: SpanOptions; ctx?: Context; fn: F } | undefined {
  if (typeof arg2 === 'function') return { fn: arg2 as F }
  if (typeof arg3 === 'function') return { options: arg2 as SpanOptions, fn: arg3 as F }
  if (typeof arg4 === 'function') return { options: arg2 as SpanOptions, ctx: arg3 as Context, fn: arg4 }
  return undefined
}

/**
 * The SDK's Tracer and Span (`@opentelemetry/sdk-trace`), with the same behaviour and the same `ReadableSpan` for
 * exporters, but less work a span. Profiles of the shop under load put the SDK's span at a third of the library's
 * cost: every attribute checked and copied three times (sanitized before sampling, again after, then once more by
 * `setAttribute`), self-observability counters and a closure on every span (`TracerMetrics`, with a meter that does
 * nothing here), ids drawn four bytes at a time into a Buffer and hex-encoded, a regular-expression check of a parent
 * this tracer made itself. Here the attributes are checked and copied once, ids come from a pool of random bytes and
 * a lookup table, and the rest is the SDK's logic: sampler, limits, truncation, events, links, status rules, clocks.
 * test/unit/tracer.test.ts holds the two side by side.
 */
export class LeanTracer implements Tracer {
  constructor(private readonly options: LeanTracerOptions) {}

  startSpan(name: string, options: SpanOptions = {}, ctx: Context = context.active()): Span {
    if (options.root) ctx = trace.deleteSpan(ctx)
    const parentSpan = trace.getSpan(ctx)
    if (isTracingSuppressed(ctx)) return trace.wrapSpanContext(INVALID_SPAN_CONTEXT)
    const spanId = randomId(8)
    let traceId: string
    let traceState: SpanContext['traceState']
    const validParent = validParentContext(parentSpan)
    if (validParent) {
      traceId = validParent.traceId
      traceState = validParent.traceState
    } else {
      traceId = randomId(16)
    }
    if (validParent && this.options.unsampledParentDecides && !isSampled(validParent))
      return trace.wrapSpanContext({ traceId, spanId, traceFlags: TraceFlags.NONE, traceState })
    const kind = options.kind ?? SpanKind.INTERNAL
    const links = options.links?.length
      ? options.links.map((link) => ({ context: link.context, attributes: sanitized(link.attributes) }))
      : NONE
    let attributes = startAttributes(options.attributes)
    let attributeCount = sanitizedCount
    const sampling = this.options.sampler.shouldSample(ctx, traceId, name, kind, attributes, links)
    traceState = sampling.traceState ?? traceState
    const spanContext: SpanContext = {
      traceId,
      spanId,
      traceFlags: sampling.decision === SamplingDecision.RECORD_AND_SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE,
      traceState,
    }
    if (sampling.decision === SamplingDecision.NOT_RECORD) return trace.wrapSpanContext(spanContext)
    if (sampling.attributes) {
      attributes = Object.assign(ownCopy(attributes), sanitized(sampling.attributes))
      attributeCount = Object.keys(attributes).length
    }
    return new RecordingSpan(
      this.options,
      ctx,
      spanContext,
      name,
      kind,
      validParent,
      parentSpan instanceof RecordingSpan ? parentSpan : undefined,
      attributes,
      attributeCount,
      links,
      options.startTime,
    )
  }

  /** Whether a span this tracer starts under `ctx`, without `root`, may record (the function `mayRecordUnder`). */
  mayRecordUnder(ctx: Context): boolean {
    if (!this.options.unsampledParentDecides) return true
    const parent = trace.getSpan(ctx)
    // A sampled parent is looked at no further; an unsampled one decides only if it is valid.
    if (!parent || isSampled(parent.spanContext())) return true
    return validParentContext(parent) === undefined
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, fn: F): ReturnType<F>
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    options: SpanOptions,
    ctx: Context,
    fn: F,
  ): ReturnType<F>
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    arg2?: SpanOptions | F,
    arg3?: Context | F,
    arg4?: F,
  ): ReturnType<F> | undefined {
    const call = activeSpanCall(arg2, arg3, arg4)
    if (!call) return undefined
    const parent = call.ctx ?? context.active()
    const span = this.startSpan(name, call.options, parent)
    return context.with(trace.setSpan(parent, span), call.fn as (span: Span) => ReturnType<F>, undefined, span)
  }
}

/**
 * The epoch time, in milliseconds to the microsecond, of the monotonic clock's reading `performanceNow`; `wallNow` is
 * `Date.now()` read just after it. The SDK starts a span at `Date.now()`, a whole millisecond, and times its end from
 * there: spans that start within one millisecond come in no order, and each start is up to a millisecond early, by
 * its own amount, so a child can show as ending after its parent (11 of an order's 36 spans in the shop did). Here
 * the monotonic clock gives the fraction, as the SDK's `hrTime()` reads it (`performance.timeOrigin +
 * performance.now()`), kept within the millisecond `Date.now()` says: a wall clock set forward or back (NTP, a machine
 * waking up), or a pause between the two readings, moves the offset as far as it must, and no further. A start it
 * gives is never before the last it gave, unless the wall clock went back a millisecond. (A child's start is read on
 * its parent's clock instead: see `anchorTime`.)
 */
function epochMillis(performanceNow: number, wallNow: number): number {
  let epoch = performanceNow + clockOffset
  if (epoch < wallNow || epoch >= wallNow + 1) {
    // Just inside the millisecond, on the side the clocks came apart: the least change that agrees with `Date.now()`.
    if (epoch < wallNow) epoch = wallNow
    else if (lastEpoch > wallNow + LAST_MICROSECOND && lastEpoch < wallNow + 1) epoch = lastEpoch
    else epoch = wallNow + LAST_MICROSECOND
    clockOffset = epoch - performanceNow
  }
  lastEpoch = epoch
  return epoch
}

/**
 * Where a start put back into its millisecond goes: its last microsecond. An epoch time in milliseconds is a double
 * good to about a quarter of a microsecond, so a nanosecond before the next millisecond would round up into it.
 */
const LAST_MICROSECOND = 0.999

/**
 * Epoch milliseconds less the monotonic clock, as `epochMillis` last found it; from 0 where a runtime has no
 * `timeOrigin`, which the first span then corrects.
 */
let clockOffset = otperformance.timeOrigin || 0

/** The last start `epochMillis` gave. */
let lastEpoch = 0

/**
 * Whether a span that `tracer` starts under `ctx` (without `root`) may record: false where it surely will not (a
 * child of a span that is not sampled, under a sampler that follows its parent's decision), so that instrumentation
 * can skip working out attributes that would be dropped. True for any other tracer.
 */
export function mayRecordUnder(tracer: Tracer, ctx: Context): boolean {
  return !(tracer instanceof LeanTracer) || tracer.mayRecordUnder(ctx)
}

/** The span context of `parent` if it is valid: checked, unless this tracer made the span and it records. */
function validParentContext(parent: Span | undefined): SpanContext | undefined {
  if (!parent) return undefined
  const spanContext = parent.spanContext()
  return isOwnRecordingSpan(parent) || isSpanContextValid(spanContext) ? spanContext : undefined
}

function isSampled(spanContext: SpanContext): boolean {
  return (spanContext.traceFlags & TraceFlags.SAMPLED) !== 0
}

/** Whether `span` was made by a `LeanTracer` and records: its ids are valid by construction, no need to check them. */
export function isOwnRecordingSpan(span: Span | undefined): boolean {
  return span instanceof RecordingSpan
}

const NONE = Object.freeze([]) as unknown as never[]
const UNSET: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET })
const NOT_ENDED = Object.freeze([0, 0]) as unknown as HrTime
const NO_DURATION = Object.freeze([-1, -1]) as unknown as HrTime

/** A span being recorded; once ended, the `ReadableSpan` the processor and exporters read. */
class RecordingSpan implements Span, ReadableSpan {
  // Shared empty values until the span has its own: most spans get no link, no event and no status.
  links: Link[] = NONE
  events: TimedEvent[] = NONE
  readonly startTime: HrTime
  endTime: HrTime = NOT_ENDED
  status: SpanStatus = UNSET
  attributes: Attributes
  private isEnded = false
  private attributeCount: number
  private droppedAttributes = 0
  private droppedEvents = 0
  private droppedLinks = 0
  /**
   * The wall clock (epoch ms) when a span whose start was given started, for a time of the performance timeline
   * given to it (`time`), as the SDK reads one; 0 for the others, which read such a time on their clock.
   */
  private readonly wallStart: number = 0
  private readonly startTimeProvided: boolean
  /**
   * The clock the span's start, end and performance times are read on: a time, and the monotonic clock's reading
   * then. A span started in this process under a span of its own is on its parent's, so on that of its first
   * ancestor here whose start was not given: a trace's spans here are placed by one monotonic clock, and a child
   * starts and ends inside its parent even when `epochMillis` moves its offset between them (the wall clock set, or a
   * pause between its two readings: in a loop that happened for 1 span in 300). A span whose start was given ends by
   * `Date.now()`, as the SDK's does, and its children start by `epochMillis`.
   */
  private readonly anchorTime: HrTime
  private readonly anchorPerformance: number

  constructor(
    /** The tracer's options, shared by its spans: limits, processor, resource and scope. */
    private readonly options: LeanTracerOptions,
    ctx: Context,
    private readonly ids: SpanContext,
    public name: string,
    readonly kind: SpanKind,
    readonly parentSpanContext: SpanContext | undefined,
    /** The parent, when it is a span of this process that records. */
    parent: RecordingSpan | undefined,
    attributes: Attributes,
    attributeCount: number,
    links: Link[],
    startTime: TimeInput | undefined,
  ) {
    const performanceNow = otperformance.now()
    this.startTimeProvided = startTime != null
    for (const link of links) this.addLink(link)
    if (parent && !parent.startTimeProvided && !this.startTimeProvided) {
      this.anchorTime = parent.anchorTime
      this.anchorPerformance = parent.anchorPerformance
      this.startTime = this.onClock(performanceNow)
    } else {
      // A child on its parent's clock needs no wall clock: read here only.
      const now = Date.now()
      this.wallStart = now
      this.anchorPerformance = performanceNow
      this.startTime = startTime == null ? millisToHrTime(epochMillis(performanceNow, now)) : this.time(startTime)
      this.anchorTime = this.startTime
    }
    // `attributes` is checked (`startAttributes`), this span's own or frozen and shared: kept unless a limit has a say.
    if (attributeCount <= this.limits.attributeCountLimit && this.limits.attributeValueLengthLimit === Infinity) {
      this.attributes = attributes
      this.attributeCount = attributeCount
    } else {
      this.attributes = {}
      this.attributeCount = 0
      for (const key in attributes) this.setAttribute(key, attributes[key])
    }
    options.processor?.onStart(this as never, ctx)
  }

  get resource(): Resource {
    return this.options.resource
  }

  get instrumentationScope(): InstrumentationScope {
    return this.options.scope
  }

  private get limits(): Required<SpanLimits> {
    return this.options.spanLimits
  }

  spanContext(): SpanContext {
    return this.ids
  }

  setAttribute(key: string, value?: SpanAttributes[string]): this {
    if (value == null || this.endedWarn()) return this
    if (key.length === 0) {
      diag.warn(`Invalid attribute key: ${key}`)
      return this
    }
    if (!isAttributeValue(value)) {
      diag.warn(`Invalid attribute value set for key: ${key}`)
      return this
    }
    const isNew = !Object.hasOwn(this.attributes, key)
    if (isNew && this.attributeCount >= this.limits.attributeCountLimit) {
      this.droppedAttributes++
      return this
    }
    this.attributes = ownCopy(this.attributes)
    this.attributes[key] = this.truncated(value)
    if (isNew) this.attributeCount++
    return this
  }

  setAttributes(attributes: SpanAttributes): this {
    for (const key in attributes) if (Object.hasOwn(attributes, key)) this.setAttribute(key, attributes[key])
    return this
  }

  addEvent(name: string, attributesOrStartTime?: SpanAttributes | TimeInput, timeStamp?: TimeInput): this {
    if (this.endedWarn()) return this
    const { eventCountLimit, attributePerEventCountLimit } = this.limits
    if (eventCountLimit === 0) {
      diag.warn('No events allowed.')
      this.droppedEvents++
      return this
    }
    if (this.events.length >= eventCountLimit) {
      if (this.droppedEvents === 0) diag.debug('Dropping extra events.')
      this.events.shift()
      this.droppedEvents++
    }
    if (this.events === NONE) this.events = []
    if (isTimeInput(attributesOrStartTime)) {
      if (!isTimeInput(timeStamp)) timeStamp = attributesOrStartTime
      attributesOrStartTime = undefined
    }
    const given = sanitized(attributesOrStartTime as Attributes | undefined)
    const attributes: Attributes = {}
    let kept = 0
    let dropped = 0
    for (const key in given) {
      if (kept >= attributePerEventCountLimit) dropped++
      else {
        attributes[key] = this.truncated(given[key]!)
        kept++
      }
    }
    this.events.push({ name, attributes, time: this.time(timeStamp), droppedAttributesCount: dropped })
    return this
  }

  addLink(link: Link): this {
    if (this.endedWarn()) return this
    const { linkCountLimit, attributePerLinkCountLimit } = this.limits
    if (linkCountLimit === 0) {
      this.droppedLinks++
      return this
    }
    if (this.links.length >= linkCountLimit) {
      if (this.droppedLinks === 0) diag.debug('Dropping extra links.')
      this.links.shift()
      this.droppedLinks++
    }
    const given = sanitized(link.attributes)
    const attributes: Attributes = {}
    let kept = 0
    let dropped = 0
    for (const key in given) {
      if (kept >= attributePerLinkCountLimit) dropped++
      else {
        attributes[key] = this.truncated(given[key]!)
        kept++
      }
    }
    const processed: Link = { context: link.context }
    if (this.links === NONE) this.links = []
    if (kept > 0) processed.attributes = attributes
    if (dropped > 0) processed.droppedAttributesCount = dropped
    this.links.push(processed)
    return this
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link)
    return this
  }

  setStatus(status: SpanStatus): this {
    if (this.endedWarn()) return this
    if (status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK) return this
    const next: SpanStatus = { code: status.code }
    if (status.code === SpanStatusCode.ERROR) {
      if (typeof status.message === 'string') next.message = status.message
      else if (status.message != null)
        diag.warn(`Dropping invalid status.message of type '${typeof status.message}', expected 'string'`)
    }
    this.status = next
    return this
  }

  updateName(name: string): this {
    if (this.endedWarn()) return this
    this.name = name
    return this
  }

  end(endTime?: TimeInput): void {
    if (this.isEnded) {
      diag.error(`${this.name} ${this.ids.traceId}-${this.ids.spanId} - You can only call end() on a span once.`)
      return
    }
    const end = this.time(endTime)
    const start = this.startTime
    // The seconds of `hrTimeDuration(start, end)`, without making it: the duration is worked out when read.
    if (end[0] - start[0] - (end[1] < start[1] ? 1 : 0) < 0) {
      diag.warn('Inconsistent start and end time, startTime > endTime. Setting span duration to 0ms.', start, end)
      this.endTime = start.slice() as HrTime
    } else this.endTime = end
    if (this.droppedEvents > 0) diag.warn(`Dropped ${this.droppedEvents} events because eventCountLimit reached`)
    if (this.droppedLinks > 0) diag.warn(`Dropped ${this.droppedLinks} links because linkCountLimit reached`)
    const processor = this.options.processor
    processor?.onEnding?.(this as never)
    this.isEnded = true
    processor?.onEnd(this)
  }

  isRecording(): boolean {
    return !this.isEnded
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {}
    if (typeof exception === 'string') attributes[ATTR_EXCEPTION_MESSAGE] = exception
    else if (exception) {
      if (exception.code) attributes[ATTR_EXCEPTION_TYPE] = exception.code.toString()
      else if (exception.name) attributes[ATTR_EXCEPTION_TYPE] = exception.name
      if (exception.message) attributes[ATTR_EXCEPTION_MESSAGE] = exception.message
      if (exception.stack) attributes[ATTR_EXCEPTION_STACKTRACE] = exception.stack
    }
    if (attributes[ATTR_EXCEPTION_TYPE] || attributes[ATTR_EXCEPTION_MESSAGE])
      this.addEvent('exception', attributes, time)
    else diag.warn(`Failed to record an exception ${exception}`)
  }

  get duration(): HrTime {
    return this.endTime === NOT_ENDED ? NO_DURATION : hrTimeDuration(this.startTime, this.endTime)
  }

  get droppedAttributesCount(): number {
    return this.droppedAttributes
  }

  get droppedEventsCount(): number {
    return this.droppedEvents
  }

  get droppedLinksCount(): number {
    return this.droppedLinks
  }

  get ended(): boolean {
    return this.isEnded
  }

  private endedWarn(): boolean {
    if (this.isEnded) {
      const { traceId, spanId } = this.ids
      diag.warn(
        `Cannot execute the operation on ended Span {traceId: ${traceId}, spanId: ${spanId}}`,
        new Error(`Operation attempted on ended Span {traceId: ${traceId}, spanId: ${spanId}}`),
      )
    }
    return this.isEnded
  }

  /** The SDK's clock: a start in epoch milliseconds, then the monotonic clock's elapsed time added to it. */
  private time(input?: TimeInput): HrTime {
    // No time given, the usual case (every `end()`), is now: the other forms are not tried.
    if (input !== undefined) {
      // A time of the performance timeline: on the span's clock, as its start and end are, unless its start was given.
      if (typeof input === 'number' && input <= otperformance.now())
        return this.startTimeProvided
          ? hrTime(input + this.wallStart - (this.anchorPerformance + otperformance.timeOrigin))
          : this.onClock(input)
      if (typeof input === 'number') return millisToHrTime(input)
      if (input instanceof Date) return millisToHrTime(input.getTime())
      if (isTimeInputHrTime(input)) return input as HrTime
    }
    if (this.startTimeProvided) return millisToHrTime(Date.now())
    return this.onClock(otperformance.now())
  }

  /**
   * The time of the monotonic clock's reading `performanceNow` on the span's clock (`anchorTime`):
   * `addHrTimes(anchorTime, millisToHrTime(elapsed))`, the same arithmetic, one array made instead of two.
   */
  private onClock(performanceNow: number): HrTime {
    const millis = performanceNow - this.anchorPerformance
    let seconds = this.anchorTime[0] + Math.trunc(millis / 1000)
    let nanos = this.anchorTime[1] + Math.round((millis % 1000) * 1e6)
    if (nanos >= 1e9) {
      nanos -= 1e9
      seconds += 1
    } else if (nanos < 0) {
      // A reading before the anchor's (a performance time given for an event or an end).
      nanos += 1e9
      seconds -= 1
    }
    return [seconds, nanos]
  }

  /** OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT applied to a string or to each string of an array. */
  private truncated(value: AttributeValue): AttributeValue {
    const limit = this.limits.attributeValueLengthLimit
    if (limit <= 0) {
      diag.warn(`Attribute value limit must be positive, got ${limit}`)
      return value
    }
    if (typeof value === 'string') return value.length <= limit ? value : value.substring(0, limit)
    if (Array.isArray(value))
      return value.map((item) =>
        typeof item === 'string' && item.length > limit ? item.substring(0, limit) : item,
      ) as AttributeValue
    return value
  }
}

/** Frozen attributes checked once, by the count `sanitized` keeps of them, or -1 if it would change them. */
const checkedFrozen = new WeakMap<Attributes, number>()

/**
 * The attributes a span starts with: `sanitized(given)`, or `given` itself when it is frozen and `sanitized` would
 * keep it as it is (nothing invalid, no array to copy). A database statement's attributes are the same for every run
 * of it: one frozen object, checked once, shared by its spans (a span copies it before changing it), and encoded
 * once for export (otlp-protobuf.ts), instead of a copy a span.
 */
function startAttributes(given: Attributes | undefined): Attributes {
  if (typeof given !== 'object' || given === null || !Object.isFrozen(given)) return sanitized(given)
  let count = checkedFrozen.get(given)
  if (count === undefined) {
    const copy = sanitized(given)
    const kept = sanitizedCount === Object.keys(given).length && !Object.values(copy).some(Array.isArray)
    count = kept ? sanitizedCount : -1
    checkedFrozen.set(given, count)
  }
  if (count < 0) return sanitized(given)
  sanitizedCount = count
  return given
}

/** `attributes`, or a copy of them to change when they are frozen and shared (`startAttributes`). */
function ownCopy(attributes: Attributes): Attributes {
  return Object.isFrozen(attributes) ? { ...attributes } : attributes
}

/** How many attributes the last `sanitized` kept: spares the span counting them again. */
let sanitizedCount = 0

/**
 * A copy of `attributes` without invalid keys and values (each one warned about), arrays copied: what the SDK's
 * `sanitizeAttributes` returns, and null or undefined values left out, as `setAttribute` would leave them.
 */
function sanitized(attributes: Attributes | undefined): Attributes {
  const out: Attributes = {}
  let count = 0
  if (typeof attributes === 'object' && attributes !== null) {
    for (const key in attributes) {
      if (!Object.hasOwn(attributes, key)) continue
      const value = attributes[key]
      if (value == null) continue
      if (key === '') {
        diag.warn(`Invalid attribute key: ${key}`)
        continue
      }
      const type = typeof value
      if (type === 'string' || type === 'number' || type === 'boolean') out[key] = value
      else if (isAttributeValue(value)) out[key] = (value as unknown[]).slice() as AttributeValue
      else {
        diag.warn(`Invalid attribute value set for key: ${key}`)
        continue
      }
      count++
    }
  }
  sanitizedCount = count
  return out
}

/** Random bytes drawn a pool at a time (one call to the runtime for 64 span ids), hex-encoded at once by table. */
const pool = new Uint8Array(1024)
const poolDigits = new Uint8Array(2 * pool.length)
const HEX_DIGITS = Array.from('0123456789abcdef', (digit) => digit.charCodeAt(0))
const asciiDecoder = new TextDecoder()
/**
 * The pool as one string of hex digits, decoded natively: an id is a slice of it. Cheaper, made and read (encoder,
 * propagator), than an id built from its character codes with `String.fromCharCode`.
 */
let hexPool = ''
let hexUsed = 0
const INVALID_IDS = { 8: INVALID_SPANID, 16: INVALID_TRACEID }

/** `bytes` random bytes as lowercase hex, never all zero (an invalid id). */
function randomId(bytes: 8 | 16): string {
  const digits = 2 * bytes
  if (hexUsed + digits > hexPool.length) {
    crypto.getRandomValues(pool)
    for (let i = 0; i < pool.length; i++) {
      poolDigits[2 * i] = HEX_DIGITS[pool[i]! >> 4]!
      poolDigits[2 * i + 1] = HEX_DIGITS[pool[i]! & 15]!
    }
    hexPool = asciiDecoder.decode(poolDigits)
    hexUsed = 0
  }
  const at = hexUsed
  hexUsed += digits
  // As the SDK does: an all-zero id would be invalid, so its last byte becomes 1 (odds of 2^-64 and less).
  if (hexPool.startsWith(INVALID_IDS[bytes], at)) return `${INVALID_IDS[bytes].slice(1)}1`
  return hexPool.slice(at, at + digits)
}
