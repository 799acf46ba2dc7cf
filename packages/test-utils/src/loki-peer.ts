// A real Loki push API peer for tests: an HTTP server on a loopback port that decodes what
// clients actually send (JSON, optionally gzip-encoded, or snappy-compressed protobuf) and
// records every request with its X-Scope-OrgID, and can be told to fail or go away.
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync, inflateSync } from 'node:zlib';
import { decodePushRequest, parseLabelSet, snappyUncompress } from './loki-proto';

export const LOKI_PUSH_PATH = '/loki/api/v1/push';

/** One stream of a push: its label set and `[nanosecond timestamp, line]` pairs, as in Loki's JSON format. */
export interface LokiPeerStream {
  readonly labels: Record<string, string>;
  readonly entries: readonly (readonly [tsNs: string, line: string])[];
}

export interface LokiPeerRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The X-Scope-OrgID header, if sent. */
  readonly orgId: string | undefined;
  readonly format: 'json' | 'protobuf' | 'unknown';
  readonly contentEncoding: string | undefined;
  readonly streams: readonly LokiPeerStream[];
  /** The status the peer answered with. */
  readonly status: number;
  /** Why the body could not be decoded, if it could not. */
  readonly error?: string;
}

/** One accepted log line with the stream labels and tenant it arrived with. */
export interface LokiPeerEntry {
  readonly tsNs: string;
  readonly line: string;
  readonly labels: Record<string, string>;
  readonly orgId: string | undefined;
}

export interface LokiPeer {
  /** `http://127.0.0.1:<port>` (without the push path). */
  readonly url: string;
  readonly port: number;
  /** Every request received, accepted or not, in arrival order. */
  readonly requests: readonly LokiPeerRequest[];
  /** Entries of accepted (2xx) pushes only, in arrival order. */
  entries(): LokiPeerEntry[];
  /** Resolves once at least `count` entries were accepted; rejects after `timeoutMs` (default 10 s). */
  waitForEntries(count: number, timeoutMs?: number): Promise<LokiPeerEntry[]>;
  /** Resolves once at least `count` requests arrived (accepted or not). */
  waitForRequests(count: number, timeoutMs?: number): Promise<LokiPeerRequest[]>;
  /** Answer every push with `status` (e.g. 500, 429, 400) until called with null. */
  failWith(status: number | null): void;
  /** Forget recorded requests. */
  clear(): void;
  /** Close the server and every connection (Loki down). */
  stop(): Promise<void>;
  /** Listen again on the same port (Loki back). */
  restart(): Promise<void>;
}

export interface LokiPeerOptions {
  /** Port to listen on; default 0 (any free port). */
  readonly port?: number;
}

export async function startLokiPeer(options: LokiPeerOptions = {}): Promise<LokiPeer> {
  const requests: LokiPeerRequest[] = [];
  let failStatus: number | null = null;
  let server: Server | undefined;
  let port = options.port ?? 0;

  const handle = (req: IncomingMessage, res: ServerResponse, body: Buffer): void => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const orgHeader = req.headers['x-scope-orgid'];
    const base = {
      method: req.method ?? '',
      path,
      headers: req.headers,
      orgId: Array.isArray(orgHeader) ? orgHeader[0] : orgHeader,
      contentEncoding: req.headers['content-encoding'],
    };
    const answer = (status: number, record: Omit<LokiPeerRequest, 'status' | keyof typeof base>) => {
      requests.push({ ...base, ...record, status });
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status >= 300 ? `loki peer answered ${status}\n` : undefined);
    };
    if (req.method !== 'POST' || path !== LOKI_PUSH_PATH) {
      answer(404, { format: 'unknown', streams: [], error: `no route for ${req.method} ${path}` });
      return;
    }
    let decoded: { format: LokiPeerRequest['format']; streams: LokiPeerStream[] };
    try {
      decoded = decodeBody(req.headers, body);
    } catch (err) {
      answer(400, {
        format: 'unknown',
        streams: [],
        error: err instanceof Error ? err.message : String(err),
      });
      return;
    }
    answer(failStatus ?? 204, decoded);
  };

  const listen = async (): Promise<void> => {
    const next = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => handle(req, res, Buffer.concat(chunks)));
    });
    await new Promise<void>((resolve, reject) => {
      next.once('error', reject);
      next.listen(port, '127.0.0.1', () => {
        next.off('error', reject);
        resolve();
      });
    });
    port = (next.address() as AddressInfo).port;
    server = next;
  };

  const stop = async (): Promise<void> => {
    const current = server;
    server = undefined;
    if (current === undefined) return;
    const closed = new Promise<void>((resolve) => current.close(() => resolve()));
    current.closeAllConnections();
    await closed;
  };

  const accepted = (): LokiPeerEntry[] =>
    requests
      .filter((r) => r.status >= 200 && r.status < 300)
      .flatMap((r) =>
        r.streams.flatMap((s) =>
          s.entries.map(([tsNs, line]) => ({ tsNs, line, labels: s.labels, orgId: r.orgId })),
        ),
      );

  const waitUntil = async <T>(what: string, probe: () => T | undefined, timeoutMs: number): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline)
        throw new Error(`loki peer: timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  await listen();

  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    get requests() {
      return requests;
    },
    entries: accepted,
    waitForEntries(count, timeoutMs = 10_000) {
      return waitUntil(
        `${count} entries (have ${accepted().length})`,
        () => {
          const all = accepted();
          return all.length >= count ? all : undefined;
        },
        timeoutMs,
      );
    },
    waitForRequests(count, timeoutMs = 10_000) {
      return waitUntil(
        `${count} requests (have ${requests.length})`,
        () => (requests.length >= count ? [...requests] : undefined),
        timeoutMs,
      );
    },
    failWith(status) {
      failStatus = status;
    },
    clear() {
      requests.length = 0;
    },
    stop,
    async restart() {
      await stop();
      await listen();
    },
  };
}

function decodeBody(
  headers: IncomingHttpHeaders,
  raw: Buffer,
): { format: LokiPeerRequest['format']; streams: LokiPeerStream[] } {
  const contentType = (headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
  const encoding = headers['content-encoding'];
  if (contentType === 'application/x-protobuf') {
    // Loki's protobuf push is always snappy block-compressed, whatever Content-Encoding says.
    const streams = decodePushRequest(snappyUncompress(raw)).map((s) => ({
      labels: parseLabelSet(s.labels),
      entries: s.entries.map((e) => [e.tsNs, e.line] as const),
    }));
    return { format: 'protobuf', streams };
  }
  if (contentType === 'application/json') {
    const body = encoding === 'gzip' ? gunzipSync(raw) : encoding === 'deflate' ? inflateSync(raw) : raw;
    const parsed = JSON.parse(body.toString('utf8')) as { streams?: unknown };
    if (!Array.isArray(parsed.streams)) throw new Error('JSON push has no "streams" array');
    const streams = parsed.streams.map((s: { stream?: unknown; values?: unknown }) => {
      if (typeof s.stream !== 'object' || s.stream === null)
        throw new Error('stream without "stream" labels');
      if (!Array.isArray(s.values)) throw new Error('stream without "values"');
      const labels = s.stream as Record<string, string>;
      const entries = s.values.map((v: unknown) => {
        if (
          !Array.isArray(v) ||
          typeof v[0] !== 'string' ||
          typeof v[1] !== 'string' ||
          !/^\d+$/.test(v[0])
        ) {
          throw new Error(`bad value ${JSON.stringify(v)}: want ["<ns timestamp>", "<line>"]`);
        }
        return [v[0], v[1]] as const;
      });
      return { labels: { ...labels }, entries };
    });
    return { format: 'json', streams };
  }
  throw new Error(`unsupported Content-Type ${contentType || '(none)'}`);
}
