// An OTLP/gRPC trace receiver for tests (a Tempo/collector stand-in): a real @grpc/grpc-js server
// on a loopback port that decodes the real OTLP protobuf, gzip-compressed or not, and keeps the
// spans it received so a test can assert on what crossed the wire.
import { Server, ServerCredentials, status as GrpcStatus } from '@grpc/grpc-js';
import type { ServerUnaryCall, sendUnaryData, ServiceDefinition } from '@grpc/grpc-js';
import type { EventEmitter } from 'node:events';
import protobuf from 'protobufjs';
import { OTLP_TRACE_PROTO_FILES } from './otlp/trace-proto';

/** An OTLP attribute value decoded to plain JavaScript. */
export type OtlpValue =
  string | number | boolean | Uint8Array | OtlpValue[] | { [key: string]: OtlpValue } | null;

/** One span as it arrived, flattened with its resource and scope. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** Empty string for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP kind name without prefix: INTERNAL, SERVER, CLIENT, PRODUCER, CONSUMER, UNSPECIFIED. */
  kind: string;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Record<string, OtlpValue>;
  droppedAttributesCount: number;
  events: { name: string; attributes: Record<string, OtlpValue> }[];
  droppedEventsCount: number;
  links: { traceId: string; spanId: string; attributes: Record<string, OtlpValue> }[];
  /** code is UNSET, OK or ERROR. */
  status: { code: string; message: string };
  resource: Record<string, OtlpValue>;
  scope: { name: string; version: string };
}

/** What the peer saw of one Export call. */
export interface ReceivedRequest {
  /** The request's grpc-encoding header (e.g. 'gzip'), or 'identity' when none was sent. */
  encoding: string;
  spanCount: number;
}

export interface OtlpPeerOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /**
   * Answer every Export with this gRPC status code instead of OK (e.g. 14 UNAVAILABLE), to act as a
   * failing collector. Can be changed later with `peer.failWith()`.
   */
  failWith?: number;
}

export interface OtlpPeer {
  /** `http://127.0.0.1:<port>`: pass it as the OTLP/gRPC endpoint (insecure channel). */
  readonly url: string;
  readonly port: number;
  /** Every span received so far, in arrival order. */
  readonly spans: readonly ReceivedSpan[];
  readonly requests: readonly ReceivedRequest[];
  /** Resolves once at least `count` spans (matching `filter`, if given) have arrived; rejects after `timeoutMs`. */
  waitForSpans(
    count: number,
    timeoutMs?: number,
    filter?: (span: ReceivedSpan) => boolean,
  ): Promise<ReceivedSpan[]>;
  /** Make Export fail with a gRPC status code, or succeed again with `undefined`. */
  failWith(code: number | undefined): void;
  /** Forget what was received. */
  clear(): void;
  /** Stop listening (in-flight calls are cancelled). Safe to call twice. */
  stop(): Promise<void>;
  /** Listen again on the same port after `stop()`, keeping what was received. */
  restart(): Promise<void>;
}

interface DecodedKeyValue {
  key: string;
  value?: DecodedAnyValue | null;
}
interface DecodedAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | { toString(): string };
  doubleValue?: number;
  arrayValue?: { values?: DecodedAnyValue[] };
  kvlistValue?: { values?: DecodedKeyValue[] };
  bytesValue?: Uint8Array;
}
interface DecodedSpan {
  traceId: Uint8Array;
  spanId: Uint8Array;
  parentSpanId: Uint8Array;
  name: string;
  kind: number;
  startTimeUnixNano: { toString(): string } | number;
  endTimeUnixNano: { toString(): string } | number;
  attributes?: DecodedKeyValue[];
  droppedAttributesCount: number;
  events?: { name: string; attributes?: DecodedKeyValue[] }[];
  droppedEventsCount: number;
  links?: { traceId: Uint8Array; spanId: Uint8Array; attributes?: DecodedKeyValue[] }[];
  status?: { code?: number; message?: string } | null;
}
interface DecodedRequest {
  resourceSpans?: {
    resource?: { attributes?: DecodedKeyValue[] } | null;
    scopeSpans?: { scope?: { name?: string; version?: string } | null; spans?: DecodedSpan[] }[];
  }[];
}

const KIND_NAMES = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const STATUS_NAMES = ['UNSET', 'OK', 'ERROR'];
const EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

let cachedTypes: { request: protobuf.Type; response: protobuf.Type } | undefined;
function otlpTypes(): { request: protobuf.Type; response: protobuf.Type } {
  if (cachedTypes === undefined) {
    const root = new protobuf.Root();
    for (const source of OTLP_TRACE_PROTO_FILES) protobuf.parse(source, root, { keepCase: false });
    root.resolveAll();
    cachedTypes = {
      request: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'),
      response: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse'),
    };
  }
  return cachedTypes;
}

const hex = (bytes: Uint8Array | undefined): string => Buffer.from(bytes ?? new Uint8Array()).toString('hex');

function decodeValue(value: DecodedAnyValue | null | undefined): OtlpValue {
  if (value == null) return null;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue.toString());
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(decodeValue);
  if (value.kvlistValue !== undefined) return decodeAttributes(value.kvlistValue.values);
  if (value.bytesValue !== undefined) return value.bytesValue;
  return null;
}

function decodeAttributes(list: DecodedKeyValue[] | undefined): Record<string, OtlpValue> {
  const out: Record<string, OtlpValue> = {};
  for (const kv of list ?? []) out[kv.key] = decodeValue(kv.value);
  return out;
}

/** Flattens one decoded ExportTraceServiceRequest into spans. */
export function flattenExportRequest(request: DecodedRequest): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const rs of request.resourceSpans ?? []) {
    const resource = decodeAttributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      const scope = { name: ss.scope?.name ?? '', version: ss.scope?.version ?? '' };
      for (const s of ss.spans ?? []) {
        spans.push({
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: hex(s.parentSpanId),
          name: s.name,
          kind: KIND_NAMES[s.kind] ?? String(s.kind),
          startTimeUnixNano: BigInt(s.startTimeUnixNano.toString()),
          endTimeUnixNano: BigInt(s.endTimeUnixNano.toString()),
          attributes: decodeAttributes(s.attributes),
          droppedAttributesCount: s.droppedAttributesCount,
          events: (s.events ?? []).map((e) => ({ name: e.name, attributes: decodeAttributes(e.attributes) })),
          droppedEventsCount: s.droppedEventsCount,
          links: (s.links ?? []).map((l) => ({
            traceId: hex(l.traceId),
            spanId: hex(l.spanId),
            attributes: decodeAttributes(l.attributes),
          })),
          status: {
            code: STATUS_NAMES[s.status?.code ?? 0] ?? String(s.status?.code),
            message: s.status?.message ?? '',
          },
          resource,
          scope,
        });
      }
    }
  }
  return spans;
}

/** Starts an OTLP/gRPC trace receiver on 127.0.0.1. Always `await peer.stop()` in the test's cleanup. */
export async function startOtlpPeer(options: OtlpPeerOptions = {}): Promise<OtlpPeer> {
  const types = otlpTypes();
  const spans: ReceivedSpan[] = [];
  const requests: ReceivedRequest[] = [];
  const waiters = new Set<() => void>();
  let failCode = options.failWith;
  let server: Server | undefined;
  let port = options.port ?? 0;
  // grpc-js strips grpc-encoding before the handler sees the metadata, so read it off the HTTP/2 stream.
  const wireEncodings: string[] = [];

  const service: ServiceDefinition = {
    Export: {
      path: EXPORT_PATH,
      requestStream: false,
      responseStream: false,
      requestSerialize: (value: DecodedRequest) => Buffer.from(types.request.encode(value).finish()),
      requestDeserialize: (bytes: Buffer) =>
        types.request.toObject(types.request.decode(bytes), { longs: String, bytes: Buffer, defaults: true }),
      responseSerialize: (value: object) => Buffer.from(types.response.encode(value).finish()),
      responseDeserialize: (bytes: Buffer) => types.response.decode(bytes),
    },
  };

  const handleExport = (
    call: ServerUnaryCall<DecodedRequest, object>,
    callback: sendUnaryData<object>,
  ): void => {
    if (failCode !== undefined) {
      wireEncodings.shift();
      callback({ code: failCode, details: 'otlp peer told to fail' });
      return;
    }
    const received = flattenExportRequest(call.request);
    requests.push({ encoding: wireEncodings.shift() ?? 'identity', spanCount: received.length });
    spans.push(...received);
    for (const wake of [...waiters]) wake();
    callback(null, {});
  };

  const listen = async (): Promise<void> => {
    const s = new Server();
    s.addService(service, { Export: handleExport });
    port = await new Promise<number>((resolve, reject) => {
      s.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (err, bound) =>
        err ? reject(err) : resolve(bound),
      );
    });
    // Private in grpc-js, but the only way to see the request's wire headers; checked so a grpc-js
    // upgrade that renames it fails loudly here instead of silently reporting 'identity'.
    const http2Servers = (s as unknown as { http2Servers?: Map<EventEmitter, unknown> }).http2Servers;
    if (!(http2Servers instanceof Map)) throw new Error('otlp peer: grpc-js Server internals changed');
    for (const h2 of http2Servers.keys()) {
      h2.prependListener('stream', (_stream: unknown, headers: Record<string, string | undefined>) => {
        if (headers[':path'] === EXPORT_PATH) wireEncodings.push(headers['grpc-encoding'] ?? 'identity');
      });
    }
    server = s;
  };

  await listen();

  const peer: OtlpPeer = {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    spans,
    requests,
    failWith(code) {
      failCode = code;
    },
    clear() {
      spans.length = 0;
      requests.length = 0;
    },
    waitForSpans(count, timeoutMs = 20_000, filter = () => true) {
      return new Promise<ReceivedSpan[]>((resolve, reject) => {
        const check = (): void => {
          const matching = spans.filter(filter);
          if (matching.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(matching);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          const names = spans.map((s) => s.name).join(', ');
          reject(new Error(`otlp peer: expected ${count} spans within ${timeoutMs} ms, got [${names}]`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async stop() {
      const s = server;
      server = undefined;
      if (s === undefined) return;
      s.forceShutdown();
      wireEncodings.length = 0;
      // forceShutdown closes listeners synchronously enough for a rebind, but let the event loop settle.
      await new Promise((resolve) => setImmediate(resolve));
    },
    async restart() {
      if (server !== undefined) await peer.stop();
      await listen();
    },
  };
  return peer;
}

/** gRPC status codes a test may want to answer with. */
export const GRPC_STATUS = { UNAVAILABLE: GrpcStatus.UNAVAILABLE, INTERNAL: GrpcStatus.INTERNAL } as const;
