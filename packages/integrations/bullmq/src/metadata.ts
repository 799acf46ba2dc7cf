// The job's telemetry metadata: a JSON object of propagation headers (`traceparent`, `tracestate`,
// `baggage`), the same carrier bullmq-otel writes, so jobs stay readable across both.
import {
  ROOT_CONTEXT,
  defaultTextMapGetter,
  defaultTextMapSetter,
  type Context,
  type TextMapPropagator,
} from '@opentelemetry/api';
import { tenantFromContext } from '@autoweave/tenant-isolation';
import { W3CPropagator } from './w3c-propagator';

/** Metadata longer than this is not parsed: W3C headers never need it (baggage alone stops at 8 KiB). */
export const MAX_METADATA_LENGTH = 16_384;

export function writeCarrier(propagator: TextMapPropagator, ctx: Context): string {
  const carrier: Record<string, string> = {};
  propagator.inject(ctx, carrier, defaultTextMapSetter);
  return JSON.stringify(carrier);
}

/** The context in `metadata` on an empty context, or undefined when it is not a JSON object of strings. */
export function readCarrier(propagator: TextMapPropagator, metadata: unknown): Context | undefined {
  if (typeof metadata !== 'string' || metadata.length > MAX_METADATA_LENGTH) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(metadata);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const carrier: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof value === 'string') carrier[key] = value;
  }
  return propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
}

const w3c = new W3CPropagator();

/** The tenant a job's metadata carries in its W3C baggage, if valid. */
export function tenantFromMetadata(metadata: unknown): string | undefined {
  const ctx = readCarrier(w3c, metadata);
  return ctx === undefined ? undefined : tenantFromContext(ctx);
}
