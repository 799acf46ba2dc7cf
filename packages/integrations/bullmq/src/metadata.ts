// The job's telemetry metadata: a JSON object of propagation headers (`traceparent`, `tracestate`,
// `baggage`), the same carrier bullmq-otel writes, so jobs stay readable across both.
import {
  ROOT_CONTEXT,
  defaultTextMapSetter,
  type Context,
  type TextMapGetter,
  type TextMapPropagator,
} from '@opentelemetry/api';
import { tenantFromContext } from '@autoweave/tenant-isolation';
import { W3CPropagator } from './w3c-propagator';

/** Metadata longer than this is not parsed: W3C headers never need it (baggage alone stops at 8 KiB). */
export const MAX_METADATA_LENGTH = 16_384;

export function writeCarrier(propagator: TextMapPropagator, ctx: Context): string {
  if (propagator instanceof W3CPropagator) return propagator.toJson(ctx);
  const carrier: Record<string, string> = {};
  propagator.inject(ctx, carrier, defaultTextMapSetter);
  return JSON.stringify(carrier);
}

/** The context in `metadata` on an empty context, or undefined when it is not a JSON object of strings. */
export function readCarrier(propagator: TextMapPropagator, metadata: unknown): Context | undefined {
  if (typeof metadata !== 'string' || metadata.length > MAX_METADATA_LENGTH) return undefined;
  if (propagator instanceof W3CPropagator) {
    const usual = propagator.fromUsualJson(metadata);
    if (usual !== undefined) return usual;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(metadata);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  return propagator.extract(ROOT_CONTEXT, parsed, stringGetter);
}

/** Reads only string values of own keys: the carrier came from Redis, whoever wrote it. */
const stringGetter: TextMapGetter<object> = {
  keys: (carrier) =>
    Object.keys(carrier).filter((k) => typeof (carrier as Record<string, unknown>)[k] === 'string'),
  get(carrier, key) {
    if (!Object.prototype.hasOwnProperty.call(carrier, key)) return undefined;
    const value = (carrier as Record<string, unknown>)[key];
    return typeof value === 'string' ? value : undefined;
  },
};

const w3c = new W3CPropagator();

/** The tenant a job's metadata carries in its W3C baggage, if valid. */
export function tenantFromMetadata(metadata: unknown): string | undefined {
  const ctx = readCarrier(w3c, metadata);
  return ctx === undefined ? undefined : tenantFromContext(ctx);
}
