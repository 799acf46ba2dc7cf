// A winston transport that pushes to Loki's push API with a bounded buffer: one tenant per
// request (X-Scope-OrgID), a fixed, bounded label set, retries with backoff, and counted drops.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import {
  NO_TENANT_LABEL_VALUE,
  TENANT_LABEL,
  createLabelGuard,
  type LabelGuard,
} from '@autoweave/tenant-isolation';
import TransportStream from 'winston-transport';
import { MESSAGE, TENANT, TIMESTAMP_NS } from './record-format';
import type { Counters } from './stats';
import type { LokiOptions } from './types';

const gzip = promisify(gzipCallback);

export const LOKI_PUSH_PATH = '/loki/api/v1/push';
/** The tenant_id stream label of records made outside any tenant (the same value metrics use). */
export { NO_TENANT_LABEL_VALUE };

interface Entry {
  readonly streamKey: string;
  readonly level: string;
  readonly tenantLabel: string;
  readonly tsNs: string;
  readonly line: string;
  readonly bytes: number;
}

type PushOutcome = 'sent' | 'rejected' | 'retry';

export interface LokiTransportOptions extends LokiOptions {
  readonly service: string;
  readonly environment: string;
  readonly counters: Counters;
}

export class LokiTransport extends TransportStream {
  readonly #options: LokiTransportOptions;
  readonly #counters: Counters;
  readonly #guard: LabelGuard;
  readonly #pushUrl: URL;
  readonly #agent: HttpAgent;
  readonly #headers: Record<string, string>;
  // Per org id (undefined = no header), in round-robin order, so one noisy tenant cannot starve the rest.
  readonly #queues = new Map<string | undefined, Entry[]>();
  #buffered = 0;
  #bufferedBytes = 0;
  #inFlight: Promise<void> | undefined;
  #abort: AbortController | undefined;
  #backoffMs = 0;
  #backoffUntil = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #soon: NodeJS.Immediate | undefined;
  readonly #interval: NodeJS.Timeout;
  #closed = false;
  /** Set once `stop()` has counted what was left: a push settling later changes nothing. */
  #stopped = false;
  readonly #allowed: ReadonlySet<string>;

  constructor(options: LokiTransportOptions) {
    super({});
    this.#options = options;
    this.#counters = options.counters;
    const guardOptions = {
      cap: options.tenantCap ?? 100,
      overflowValue: options.tenantOverflowValue ?? '__overflow__',
      allowOnly: options.tenantsOnly ?? false,
      ...(options.acceptTenant === undefined ? {} : { accept: options.acceptTenant }),
      ...(options.tenants === undefined ? {} : { allow: options.tenants }),
    };
    this.#guard = createLabelGuard(guardOptions);
    this.#allowed = new Set(options.tenants ?? []);
    this.#pushUrl = new URL(LOKI_PUSH_PATH, options.url.endsWith('/') ? options.url : `${options.url}/`);
    this.#agent =
      this.#pushUrl.protocol === 'https:'
        ? new HttpsAgent({ keepAlive: true, maxSockets: 2 })
        : new HttpAgent({ keepAlive: true, maxSockets: 2 });
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (name.toLowerCase() !== 'x-scope-orgid') headers[name] = value;
    }
    this.#headers = headers;
    this.#interval = setInterval(() => this.#pump(), options.intervalMs ?? 1000);
    this.#interval.unref();
  }

  get buffered(): number {
    return this.#buffered;
  }

  get bufferedBytes(): number {
    return this.#bufferedBytes;
  }

  get tenantLabelOverflows(): number {
    return this.#guard.rejected;
  }

  override log(info: Record<string | symbol, unknown>, next: () => void): void {
    try {
      this.#enqueue(info);
    } catch {
      // Never throw into the caller's log statement; the record is simply not sent to Loki.
      this.#counters.drop('rejected');
    }
    next();
  }

  #enqueue(info: Record<string | symbol, unknown>): void {
    if (this.#closed) {
      this.#counters.drop('shutdown');
      return;
    }
    const line = typeof info[MESSAGE] === 'string' ? info[MESSAGE] : JSON.stringify(info);
    const bytes = Buffer.byteLength(line);
    if (
      this.#buffered + 1 > (this.#options.maxBufferedRecords ?? 10_000) ||
      this.#bufferedBytes + bytes > (this.#options.maxBufferedBytes ?? 16 * 1024 * 1024)
    ) {
      this.#counters.drop('buffer_full');
      return;
    }
    const tenant = typeof info[TENANT] === 'string' ? info[TENANT] : undefined;
    const tenantLabel =
      tenant === undefined
        ? (this.#options.noTenantValue ?? NO_TENANT_LABEL_VALUE)
        : this.#guard.bound(tenant);
    const level = typeof info.level === 'string' ? info.level : 'unknown';
    const tsNs = typeof info[TIMESTAMP_NS] === 'string' ? info[TIMESTAMP_NS] : `${Date.now()}000000`;
    const org =
      tenant === undefined || !this.#known(tenant) ? this.#options.defaultOrgId : this.#orgId(tenant);
    let queue = this.#queues.get(org);
    if (queue === undefined) {
      queue = [];
      this.#queues.set(org, queue);
    }
    queue.push({ streamKey: `${level}\u0000${tenantLabel}`, level, tenantLabel, tsNs, line, bytes });
    this.#buffered++;
    this.#bufferedBytes += bytes;
    if (queue.length >= (this.#options.batchSize ?? 1000) && this.#soon === undefined) {
      this.#soon = setImmediate(() => {
        this.#soon = undefined;
        this.#pump();
      });
      this.#soon.unref();
    }
  }

  /** Without `acceptTenant` every tenant is known (the app authenticated it); with it, only accepted ones. */
  #known(tenant: string): boolean {
    const accept = this.#options.acceptTenant;
    if (accept === undefined || this.#allowed.has(tenant)) return true;
    try {
      return accept(tenant) === true;
    } catch {
      return false;
    }
  }

  #orgId(tenant: string): string {
    try {
      return this.#options.orgIdForTenant?.(tenant) ?? tenant;
    } catch {
      return tenant;
    }
  }

  /** Starts one push if none is in flight, something is queued and no backoff is pending. */
  #pump(): void {
    if (this.#inFlight !== undefined || this.#queues.size === 0 || Date.now() < this.#backoffUntil) return;
    const [org, queue] = this.#queues.entries().next().value as [string | undefined, Entry[]];
    const batch = this.#takeBatch(queue);
    this.#queues.delete(org);
    if (queue.length > 0) this.#queues.set(org, queue);
    this.#inFlight = this.#push(org, batch)
      .catch((): PushOutcome => 'retry')
      .then((outcome) => this.#settle(org, batch, outcome))
      .finally(() => {
        this.#inFlight = undefined;
        if (this.#queues.size > 0 && Date.now() >= this.#backoffUntil && !this.#closed) this.#pump();
      });
  }

  #takeBatch(queue: Entry[]): Entry[] {
    const maxRecords = this.#options.batchSize ?? 1000;
    const maxBytes = this.#options.batchBytes ?? 1024 * 1024;
    let count = 0;
    let bytes = 0;
    while (count < queue.length && count < maxRecords) {
      const next = queue[count];
      if (next === undefined || (count > 0 && bytes + next.bytes > maxBytes)) break;
      bytes += next.bytes;
      count++;
    }
    return queue.splice(0, count);
  }

  #settle(org: string | undefined, batch: Entry[], outcome: PushOutcome): void {
    if (this.#stopped) return;
    if (outcome === 'retry') {
      this.#counters.retries++;
      const queue = this.#queues.get(org);
      if (queue === undefined) this.#queues.set(org, batch);
      else queue.unshift(...batch);
      const min = this.#options.minBackoffMs ?? 500;
      this.#backoffMs = Math.min(
        this.#options.maxBackoffMs ?? 30_000,
        this.#backoffMs === 0 ? min : this.#backoffMs * 2,
      );
      // Jitter so many processes do not hammer a recovering Loki in lockstep.
      const wait = Math.round(this.#backoffMs * (0.75 + Math.random() * 0.25));
      this.#backoffUntil = Date.now() + wait;
      if (!this.#closed) {
        clearTimeout(this.#retryTimer);
        this.#retryTimer = setTimeout(() => this.#pump(), wait);
        this.#retryTimer.unref();
      }
      return;
    }
    this.#backoffMs = 0;
    this.#backoffUntil = 0;
    this.#buffered -= batch.length;
    for (const entry of batch) this.#bufferedBytes -= entry.bytes;
    if (outcome === 'sent') this.#counters.sent += batch.length;
    else this.#counters.drop('rejected', batch.length);
  }

  async #push(org: string | undefined, batch: Entry[]): Promise<PushOutcome> {
    const streams = new Map<string, { stream: Record<string, string>; values: [string, string][] }>();
    for (const entry of batch) {
      let stream = streams.get(entry.streamKey);
      if (stream === undefined) {
        stream = {
          stream: {
            service: this.#options.service,
            environment: this.#options.environment,
            level: entry.level,
            [TENANT_LABEL]: entry.tenantLabel,
          },
          values: [],
        };
        streams.set(entry.streamKey, stream);
      }
      stream.values.push([entry.tsNs, entry.line]);
    }
    const json = JSON.stringify({ streams: [...streams.values()] });
    const useGzip = this.#options.gzip ?? true;
    const body = useGzip ? await gzip(json) : Buffer.from(json);
    const headers: Record<string, string> = {
      ...this.#headers,
      'content-type': 'application/json',
      'content-length': String(body.length),
    };
    if (useGzip) headers['content-encoding'] = 'gzip';
    if (org !== undefined) headers['x-scope-orgid'] = org;
    const status = await this.#post(body, headers);
    if (status >= 200 && status < 300) return 'sent';
    if (status === 429 || status >= 500 || status === 408) return 'retry';
    return 'rejected';
  }

  /** Resolves with the HTTP status; rejects on network errors and timeouts (both retried). */
  #post(body: Buffer, headers: Record<string, string>): Promise<number> {
    // stop() may have run while the body was being gzipped: do not start a request nobody waits for.
    if (this.#closed) return Promise.reject(new Error('logger shut down'));
    const abort = new AbortController();
    this.#abort = abort;
    const timer = setTimeout(
      () => abort.abort(new Error('loki push timed out')),
      this.#options.requestTimeoutMs ?? 10_000,
    );
    timer.unref();
    const send = this.#pushUrl.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<number>((resolve, reject) => {
      const req = send(
        this.#pushUrl,
        { method: 'POST', headers, agent: this.#agent, signal: abort.signal },
        (res: IncomingMessage) => {
          res.on('error', reject);
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.resume();
        },
      );
      req.on('error', reject);
      req.end(body);
    }).finally(() => {
      clearTimeout(timer);
      if (this.#abort === abort) this.#abort = undefined;
    });
  }

  /**
   * Pushes until nothing is buffered or `timeoutMs` passes, honouring the retry backoff. Always
   * settles within `timeoutMs`, and its timers are ref'd: a caller awaiting it keeps the process
   * alive for that bounded time instead of the process exiting with the promise pending.
   */
  async flush(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#buffered > 0 && !this.#closed) {
      const left = deadline - Date.now();
      if (left <= 0) return;
      if (this.#inFlight === undefined) {
        const backoff = this.#backoffUntil - Date.now();
        if (backoff > 0) {
          await sleep(Math.min(backoff, left));
          continue;
        }
        this.#pump();
      }
      const inFlight = this.#inFlight;
      if (inFlight === undefined) return;
      await settledWithin(inFlight, left);
    }
  }

  /**
   * Stops pushing: aborts a push still in flight (waiting at most `graceMs` for it to unwind),
   * counts what is left as dropped (reason `shutdown`), frees sockets.
   */
  async stop(graceMs = 1000): Promise<void> {
    if (this.#stopped) return;
    this.#closed = true;
    clearInterval(this.#interval);
    clearTimeout(this.#retryTimer);
    if (this.#soon !== undefined) clearImmediate(this.#soon);
    this.#abort?.abort(new Error('logger shut down'));
    if (this.#inFlight !== undefined) await settledWithin(this.#inFlight, graceMs);
    if (this.#stopped) return;
    this.#stopped = true;
    this.#counters.drop('shutdown', this.#buffered);
    this.#queues.clear();
    this.#buffered = 0;
    this.#bufferedBytes = 0;
    this.#agent.destroy();
  }

  override close(): void {
    void this.stop();
  }
}

/**
 * A promise that resolves after `ms`. Its timer is ref'd on purpose: whoever awaits it (flush,
 * shutdown) must keep the process alive for that bounded time, or node exits mid-await.
 */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits for `promise` (which never rejects) or `ms`, whichever is first, leaving no timer behind. */
async function settledWithin(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  // ref'd for the same reason as sleep(): bounded, and the awaiting caller must not be cut off.
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, ms));
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
