// Trace/span id generation and the TraceIdRatio root sampler, both on the span-start hot path.
// The SDK's RandomIdGenerator writes Math.random() into a Buffer and hex-encodes it for every id,
// and its TraceIdRatioBasedSampler re-validates (regex) and re-parses the 32 hex characters of
// every root trace id. Here ids are cut from a pool of CSPRNG bytes hex-encoded in one go, and the
// generator remembers the ratio value of the trace id it just made, so the sampler, which is
// asked about that same id a moment later, does not parse it again. Decisions are identical to
// the SDK's TraceIdRatioBasedSampler for every trace id.
import { randomFillSync } from 'node:crypto';
import { isValidTraceId, type Attributes, type Context, type Link, type SpanKind } from '@opentelemetry/api';
import {
  SamplingDecision,
  type IdGenerator,
  type Sampler,
  type SamplingResult,
} from '@opentelemetry/sdk-trace-base';

const TRACE_ID_BYTES = 16;
const SPAN_ID_BYTES = 8;
/** Bytes per refill: ids for about 170 root spans (24 bytes each). */
const POOL_BYTES = 4096;
const INVALID_TRACE_ID = '0'.repeat(TRACE_ID_BYTES * 2);
const INVALID_SPAN_ID = '0'.repeat(SPAN_ID_BYTES * 2);

/**
 * Random W3C ids (lowercase hex, never all zeros) taken from a pool of `crypto.randomFillSync`
 * bytes. `lastTraceId`/`lastTraceValue` memoise the TraceIdRatio value of the latest trace id.
 */
export class PooledIdGenerator implements IdGenerator {
  private readonly bytes = Buffer.allocUnsafe(POOL_BYTES);
  private hex = '';
  /** Next unused byte of the pool; the pool is refilled when an id would not fit. */
  private offset = POOL_BYTES;
  lastTraceId: string | undefined;
  lastTraceValue = 0;

  /** `fill` overwrites the pool with random bytes; replaceable for tests. */
  constructor(private readonly fill: (pool: Buffer) => void = randomFillSync) {}

  generateTraceId = (): string => {
    const at = this.take(TRACE_ID_BYTES);
    const b = this.bytes;
    let id = this.hex.slice(at * 2, (at + TRACE_ID_BYTES) * 2);
    // XOR of the id's four big-endian words, byte column by byte column.
    let value =
      (((b[at]! ^ b[at + 4]! ^ b[at + 8]! ^ b[at + 12]!) << 24) |
        ((b[at + 1]! ^ b[at + 5]! ^ b[at + 9]! ^ b[at + 13]!) << 16) |
        ((b[at + 2]! ^ b[at + 6]! ^ b[at + 10]! ^ b[at + 14]!) << 8) |
        (b[at + 3]! ^ b[at + 7]! ^ b[at + 11]! ^ b[at + 15]!)) >>>
      0;
    if (id === INVALID_TRACE_ID) {
      id = `${INVALID_TRACE_ID.slice(1)}1`;
      value = 1;
    }
    this.lastTraceId = id;
    this.lastTraceValue = value;
    return id;
  };

  generateSpanId = (): string => {
    const at = this.take(SPAN_ID_BYTES);
    const id = this.hex.slice(at * 2, (at + SPAN_ID_BYTES) * 2);
    return id === INVALID_SPAN_ID ? `${INVALID_SPAN_ID.slice(1)}1` : id;
  };

  private take(size: number): number {
    if (this.offset + size > POOL_BYTES) {
      this.fill(this.bytes);
      this.hex = this.bytes.toString('hex');
      this.offset = 0;
    }
    const at = this.offset;
    this.offset += size;
    return at;
  }
}

/** The SDK's TraceIdRatio value of a trace id: the XOR of its four big-endian 32-bit words. */
export function traceIdRatioValue(traceId: string): number {
  let value = 0;
  for (let i = 0; i < 32; i += 8) value = (value ^ parseInt(traceId.slice(i, i + 8), 16)) >>> 0;
  return value;
}

/**
 * `TraceIdRatioBased(ratio)` with the SDK's exact decision rule (value < floor(ratio × 0xffffffff),
 * every valid id at ratio 1, invalid ids never), fast for ids from `ids`.
 */
export class TraceIdRatioSampler implements Sampler {
  private readonly ratio: number;
  private readonly upperBound: number;

  constructor(
    ratio: number,
    private readonly ids?: PooledIdGenerator,
  ) {
    this.ratio = Number.isNaN(ratio) ? 0 : Math.min(1, Math.max(0, ratio));
    this.upperBound = this.ratio === 1 ? 0x100000000 : Math.floor(this.ratio * 0xffffffff);
  }

  shouldSample(
    _context: Context,
    traceId: string,
    _spanName?: string,
    _spanKind?: SpanKind,
    _attributes?: Attributes,
    _links?: Link[],
  ): SamplingResult {
    let value: number;
    if (this.ids !== undefined && traceId === this.ids.lastTraceId) value = this.ids.lastTraceValue;
    else if (isValidTraceId(traceId)) value = traceIdRatioValue(traceId);
    else return NOT_RECORD;
    return value < this.upperBound ? RECORD_AND_SAMPLED : NOT_RECORD;
  }

  toString(): string {
    return `TraceIdRatioBased{${this.ratio}}`;
  }
}

const NOT_RECORD: SamplingResult = Object.freeze({ decision: SamplingDecision.NOT_RECORD });
const RECORD_AND_SAMPLED: SamplingResult = Object.freeze({
  decision: SamplingDecision.RECORD_AND_SAMPLED,
});
