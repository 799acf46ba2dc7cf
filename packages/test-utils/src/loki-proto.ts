// Loki's push.proto (pkg/push/push.proto, package logproto) as a protobufjs definition, plus the
// snappy block codec Loki uses for protobuf pushes, so the Loki peer decodes the real wire format.
import { createRequire } from 'node:module';
import { Root, type Type } from 'protobufjs';

interface SnappyJs {
  compress(input: Uint8Array): Uint8Array;
  uncompress(input: Uint8Array): Uint8Array;
}

// snappyjs ships no type declarations; load it untyped and give it the two functions we use.
const snappy = createRequire(__filename)('snappyjs') as SnappyJs;

/** Snappy *block* format (not framed), as Loki expects for `application/x-protobuf` pushes. */
export function snappyCompress(input: Uint8Array): Buffer {
  return Buffer.from(snappy.compress(input));
}

export function snappyUncompress(input: Uint8Array): Buffer {
  return Buffer.from(snappy.uncompress(input));
}

const root = Root.fromJSON({
  nested: {
    google: {
      nested: {
        protobuf: {
          nested: {
            Timestamp: {
              fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } },
            },
          },
        },
      },
    },
    logproto: {
      nested: {
        PushRequest: {
          fields: { streams: { rule: 'repeated', type: 'StreamAdapter', id: 1 } },
        },
        StreamAdapter: {
          fields: {
            labels: { type: 'string', id: 1 },
            entries: { rule: 'repeated', type: 'EntryAdapter', id: 2 },
            hash: { type: 'uint64', id: 3 },
          },
        },
        EntryAdapter: {
          fields: {
            timestamp: { type: 'google.protobuf.Timestamp', id: 1 },
            line: { type: 'string', id: 2 },
            structuredMetadata: { rule: 'repeated', type: 'LabelPairAdapter', id: 3 },
          },
        },
        LabelPairAdapter: {
          fields: { name: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } },
        },
      },
    },
  },
});

/** `logproto.PushRequest`: `{ streams: [{ labels: '{a="b"}', entries: [{ timestamp: { seconds, nanos }, line }] }] }`. */
export const PushRequestType: Type = root.lookupType('logproto.PushRequest');

export interface DecodedProtoEntry {
  readonly tsNs: string;
  readonly line: string;
  readonly structuredMetadata: Record<string, string>;
}

export interface DecodedProtoStream {
  readonly labels: string;
  readonly entries: DecodedProtoEntry[];
}

interface RawPush {
  streams?: {
    labels?: string;
    entries?: {
      timestamp?: { seconds?: string; nanos?: number };
      line?: string;
      structuredMetadata?: { name?: string; value?: string }[];
    }[];
  }[];
}

/** Decodes an uncompressed PushRequest; timestamps become nanosecond strings. */
export function decodePushRequest(bytes: Uint8Array): DecodedProtoStream[] {
  const raw = PushRequestType.toObject(PushRequestType.decode(bytes), {
    longs: String,
    defaults: true,
    arrays: true,
  }) as RawPush;
  return (raw.streams ?? []).map((stream) => ({
    labels: stream.labels ?? '',
    entries: (stream.entries ?? []).map((entry) => {
      const seconds = BigInt(entry.timestamp?.seconds ?? '0');
      const nanos = BigInt(entry.timestamp?.nanos ?? 0);
      const metadata: Record<string, string> = {};
      for (const pair of entry.structuredMetadata ?? []) metadata[pair.name ?? ''] = pair.value ?? '';
      return {
        tsNs: (seconds * 1_000_000_000n + nanos).toString(),
        line: entry.line ?? '',
        structuredMetadata: metadata,
      };
    }),
  }));
}

/** Parses a Prometheus label set as Loki sends it, e.g. `{service="api", msg="a \"quoted\" value"}`. */
export function parseLabelSet(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const body = text.trim().replace(/^\{/, '').replace(/\}$/, '');
  const pair = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/gy;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while ((match = pair.exec(body)) !== null) {
    const [, name, value] = match;
    if (name === undefined || value === undefined) break;
    labels[name] = value.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));
    consumed = pair.lastIndex;
  }
  if (body.slice(consumed).trim() !== '') throw new Error(`unparseable label set: ${text}`);
  return labels;
}
