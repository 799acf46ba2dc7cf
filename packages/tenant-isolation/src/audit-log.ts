// A tamper-evident audit log: security events as hash-chained JSON lines, written in the
// background from a bounded queue so recording never throws or blocks the caller.

import { type FileHandle, open, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  AUDIT_GENESIS_HASH,
  AUDIT_MAX_SUBJECT_LENGTH,
  AUDIT_MAX_TENANT_LENGTH,
  auditIdentifier,
  chainEntry,
  checkAuditEntry,
  erasedLine,
  parseAuditLine,
  prepareEntry,
  type AuditEntry,
  type AuditHead,
  type PreparedEntry,
} from './audit-format';
import { readFileTail, readSubjectEntries, rewriteFile, type FileTail } from './audit-store';
import type { AuditEventInput, AuditSink } from './policy-types';

export interface AuditLogOptions {
  /** Append to this file (created with `fileMode` if missing); an existing chain is continued. */
  readonly file?: string;
  /** Write to this stream instead (not closed by the log). Export and erase need `file`. */
  readonly stream?: NodeJS.WritableStream;
  /** With `stream`: the head of the chain to continue (e.g. stored at the last shutdown). Default: a new chain. */
  readonly start?: AuditHead;
  /** Clock for `ts`. Default `() => new Date()`. */
  readonly now?: () => Date;
  /** Entries waiting to be written before new ones are dropped (and counted). Default 10 000. */
  readonly maxQueue?: number;
  /** Largest serialized `data` of one entry, in UTF-8 bytes; bigger data is truncated with markers. Default 8192. */
  readonly maxDataBytes?: number;
  /** Permissions of a newly created file. Default 0o600: entries hold personal data. */
  readonly fileMode?: number;
}

/** How a log started: a new file or stream, a continued chain, or a chain resumed after a bad last line. */
export type AuditResumeState = 'new' | 'continued' | 'torn_tail' | 'unverifiable_tail';

export interface AuditLogStats {
  /** Entries written to the file or stream by this instance. */
  readonly written: number;
  /** Events not chained: queue full, unreadable beyond repair, or recorded after `close()`. */
  readonly dropped: number;
  /** Entries accepted but not yet written. */
  readonly queued: number;
  /** Failed write attempts (each failed batch is retried with backoff). */
  readonly writeErrors: number;
  readonly lastError?: string;
  readonly resumed: AuditResumeState;
}

/** Options for the GDPR operations of a log. */
export interface AuditSubjectOptions {
  /** Only entries of this tenant; also the `tenant` of the `gdpr.*` entry recorded. */
  readonly tenant?: string;
  /** Extra details for the `gdpr.*` entry (a ticket id, the requester). Never the subject id. */
  readonly data?: Readonly<Record<string, unknown>>;
}

export interface AuditLog extends AuditSink {
  /** Chains the event and queues it for writing. Never throws, never waits. */
  record(event: AuditEventInput): void;
  /** Resolves once every entry recorded before the call is written; rejects if a write failed (it is retried). */
  flush(): Promise<void>;
  /** Flushes, then releases the file (a stream is left open). Later records are dropped. */
  close(): Promise<void>;
  /** The last entry chained (queued entries included): anchor it elsewhere after `flush()`. */
  head(): AuditHead;
  stats(): AuditLogStats;
  /**
   * The subject's entries written so far, in order, then records `gdpr.export` for the subject.
   * File logs only.
   */
  exportSubject(subject: string, options?: AuditSubjectOptions): Promise<AuditEntry[]>;
  /**
   * Erases the subject's entries (removes `subject`, `data`, `salt`; the chain still verifies) by
   * rewriting the file atomically, ending with a `gdpr.erase` entry saying how many were erased
   * (the subject id is not in it). Resolves to that count. File logs only. Erases what was
   * recorded before the erasure starts (right after the call, once earlier export/erase calls
   * of this log are done); events recorded while it runs wait in memory and follow `gdpr.erase`.
   */
  eraseSubject(subject: string, options?: AuditSubjectOptions): Promise<number>;
}

const DEFAULT_MAX_QUEUE = 10_000;
const DEFAULT_MAX_DATA_BYTES = 8 * 1024;
const MAX_DATA_BYTES_LIMIT = 256 * 1024;
const MAX_BATCH_LINES = 512;
const MAX_BATCH_BYTES = 256 * 1024;
const FIRST_RETRY_MS = 100;
const LAST_RETRY_MS = 30_000;

/** Files written by a live log of this process: a second writer would fork the chain. */
const liveFiles = new Set<string>();

/**
 * Opens an audit log on a file (continuing its chain) or a stream. Throws for bad options and
 * for a file that cannot be opened, naming what to change.
 */
export function createAuditLog(options: AuditLogOptions): AuditLog {
  const config = validate(options);
  return new ChainedAuditLog(config);
}

interface Config {
  readonly file: string | undefined;
  readonly stream: NodeJS.WritableStream | undefined;
  readonly start: AuditHead | undefined;
  readonly now: () => Date;
  readonly maxQueue: number;
  readonly maxDataBytes: number;
  readonly fileMode: number;
}

function validate(options: AuditLogOptions): Config {
  const where = 'createAuditLog';
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${where}: pass an options object with \`file\` or \`stream\``);
  }
  const { file, stream, start } = options;
  if (file !== undefined && stream !== undefined) {
    throw new TypeError(`${where}: pass either \`file\` or \`stream\`, not both`);
  }
  if (file === undefined && stream === undefined) {
    throw new TypeError(`${where}: pass \`file\` (a path to append to) or \`stream\` (a writable stream)`);
  }
  if (file !== undefined && (typeof file !== 'string' || file.length === 0)) {
    throw new TypeError(`${where}: \`file\` must be a non-empty path string`);
  }
  if (stream !== undefined && typeof (stream as { write?: unknown }).write !== 'function') {
    throw new TypeError(`${where}: \`stream\` must be a writable stream (it has no write method)`);
  }
  if (start !== undefined) {
    if (stream === undefined) {
      throw new TypeError(`${where}: \`start\` is only for streams; a file log continues the chain it finds`);
    }
    if (!Number.isSafeInteger(start.seq) || start.seq < 0 || !/^[0-9a-f]{64}$/.test(start.hash)) {
      throw new TypeError(
        `${where}: \`start\` must be { seq: a non-negative integer, hash: 64 lowercase hex digits }`,
      );
    }
  }
  const maxQueue = options.maxQueue ?? DEFAULT_MAX_QUEUE;
  if (!Number.isSafeInteger(maxQueue) || maxQueue < 1) {
    throw new RangeError(`${where}: \`maxQueue\` must be a positive integer, got ${String(maxQueue)}`);
  }
  const maxDataBytes = options.maxDataBytes ?? DEFAULT_MAX_DATA_BYTES;
  if (!Number.isSafeInteger(maxDataBytes) || maxDataBytes < 256 || maxDataBytes > MAX_DATA_BYTES_LIMIT) {
    throw new RangeError(
      `${where}: \`maxDataBytes\` must be an integer from 256 to ${MAX_DATA_BYTES_LIMIT}, got ${String(maxDataBytes)}`,
    );
  }
  const fileMode = options.fileMode ?? 0o600;
  if (!Number.isInteger(fileMode) || fileMode < 0 || fileMode > 0o777) {
    throw new RangeError(
      `${where}: \`fileMode\` must be permission bits from 0 to 0o777, got ${String(fileMode)}`,
    );
  }
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw new TypeError(`${where}: \`now\` must be a function returning a Date`);
  }
  return {
    file: file === undefined ? undefined : resolve(file),
    stream,
    start,
    now: options.now ?? (() => new Date()),
    maxQueue,
    maxDataBytes,
    fileMode,
  };
}

interface Batch {
  readonly buf: Buffer;
  offset: number;
  readonly count: number;
}

interface Waiter {
  readonly target: number;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

interface StartPoint {
  readonly head: AuditHead;
  readonly resumed: AuditResumeState;
  /** The file ends without "\n": write one before the first entry. */
  readonly newlineFirst: boolean;
  readonly marker?: Readonly<Record<string, unknown>>;
}

class ChainedAuditLog implements AuditLog {
  private headSeq: number;
  private headHash: string;
  private readonly resumed: AuditResumeState;
  private newlineFirst: boolean;
  /** Lines chained and waiting for the writer. */
  private queue: string[] = [];
  /** Events prepared while an erasure holds the chain; chained when it ends. */
  private held: PreparedEntry[] = [];
  private holding = false;
  private paused = false;
  private inflight: Batch | undefined;
  private running = false;
  private pumpDone: Promise<void> = Promise.resolve();
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelay = FIRST_RETRY_MS;
  private waiters: Waiter[] = [];
  private maintenance: Promise<void> = Promise.resolve();
  private handle: FileHandle | undefined;
  private closed = false;
  private finished = false;
  private closing: Promise<void> | undefined;
  private chained = 0;
  private written = 0;
  private dropped = 0;
  private pendingDropped = 0;
  private writeErrors = 0;
  private lastError: string | undefined;

  constructor(private readonly config: Config) {
    const start =
      config.file !== undefined ? openFile(config.file, config.fileMode) : streamStart(config.start);
    this.headSeq = start.head.seq;
    this.headHash = start.head.hash;
    this.resumed = start.resumed;
    this.newlineFirst = start.newlineFirst;
    if (config.file !== undefined) liveFiles.add(config.file);
    config.stream?.on('error', this.onStreamError);
    if (start.marker !== undefined) this.append(this.prepare({ type: 'audit.resume', data: start.marker }));
  }

  record(event: AuditEventInput): void {
    try {
      if (this.closed) {
        this.dropped++;
        return;
      }
      if (this.backlog() >= this.config.maxQueue) {
        this.dropped++;
        this.pendingDropped++;
        return;
      }
      const prepared = this.prepare(event);
      if (this.holding) this.held.push(prepared);
      else this.append(prepared);
    } catch {
      this.dropped++;
      this.pendingDropped++;
    }
  }

  async flush(): Promise<void> {
    await this.maintenance;
    await this.drain();
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  head(): AuditHead {
    return { seq: this.headSeq, hash: this.headHash };
  }

  stats(): AuditLogStats {
    const stats = {
      written: this.written,
      dropped: this.dropped,
      queued: this.backlog(),
      writeErrors: this.writeErrors,
      resumed: this.resumed,
    };
    return this.lastError === undefined ? stats : { ...stats, lastError: this.lastError };
  }

  async exportSubject(subject: string, options: AuditSubjectOptions = {}): Promise<AuditEntry[]> {
    const { file, wanted, tenant } = this.checkSubjectCall('exportSubject', subject, options);
    return this.serialize(async () => {
      await this.drain();
      // Appends may continue while the file is read: read only what was there after the drain.
      const { size } = await stat(file);
      const entries = await readSubjectEntries(file, { subject: wanted, tenant, endBytes: size });
      this.append(
        this.prepare({
          type: 'gdpr.export',
          tenant,
          subject: wanted,
          data: { ...options.data, entries: entries.length },
        }),
      );
      return entries;
    });
  }

  async eraseSubject(subject: string, options: AuditSubjectOptions = {}): Promise<number> {
    const { file, wanted, tenant } = this.checkSubjectCall('eraseSubject', subject, options);
    const ts = this.timestamp();
    return this.serialize(async () => {
      // Hold new events out of the chain, write everything before them, then stop the writer so
      // the rewrite and the appends cannot race; the gdpr.erase entry is the next in the chain.
      this.holding = true;
      try {
        await this.drain();
        await this.pauseWriter();
        const eraseSeq = this.headSeq + 1;
        const dropped = this.pendingDropped > 0 ? this.pendingDropped : undefined;
        let erased = 0;
        let eraseHash: string | undefined;
        await rewriteFile(
          file,
          (line) => {
            const raw = parseRecord(line);
            if (raw?.subject !== wanted || (tenant !== undefined && raw.tenant !== tenant)) return undefined;
            erased++;
            return erasedLine(raw, eraseSeq);
          },
          () => {
            const entry = prepareEntry(
              { type: 'gdpr.erase', tenant, data: { ...options.data, erased } },
              ts,
              this.config.maxDataBytes,
            );
            const chained = chainEntry(entry, eraseSeq, this.headHash, dropped);
            eraseHash = chained.hash;
            return chained.line;
          },
        );
        this.headSeq = eraseSeq;
        this.headHash = eraseHash ?? this.headHash;
        // The rewritten file always ends with a newline, whatever the old one did.
        this.newlineFirst = false;
        this.pendingDropped -= dropped ?? 0;
        this.chained++;
        this.written++;
        return erased;
      } finally {
        this.holding = false;
        const held = this.held;
        this.held = [];
        for (const entry of held) this.append(entry);
        this.paused = false;
        this.kick();
      }
    });
  }

  private checkSubjectCall(
    operation: string,
    subject: unknown,
    options: AuditSubjectOptions,
  ): { file: string; wanted: string; tenant: string | undefined } {
    if (this.config.file === undefined) {
      throw new Error(
        `AuditLog.${operation} needs a file-backed log: create it with \`file\` instead of \`stream\``,
      );
    }
    if (this.closed) throw new Error(`AuditLog.${operation}: the log is closed`);
    const wanted =
      typeof subject === 'string' ? auditIdentifier(subject, AUDIT_MAX_SUBJECT_LENGTH) : undefined;
    if (wanted === undefined)
      throw new TypeError(`AuditLog.${operation}: subject must be a non-empty string`);
    const tenant =
      options.tenant === undefined ? undefined : auditIdentifier(options.tenant, AUDIT_MAX_TENANT_LENGTH);
    if (options.tenant !== undefined && tenant === undefined) {
      throw new TypeError(`AuditLog.${operation}: options.tenant must be a non-empty string when given`);
    }
    return { file: this.config.file, wanted, tenant };
  }

  private serialize<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.maintenance.then(operation);
    this.maintenance = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private prepare(event: unknown): PreparedEntry {
    return prepareEntry(event, this.timestamp(), this.config.maxDataBytes);
  }

  private timestamp(): string {
    try {
      return this.config.now().toISOString();
    } catch {
      return new Date().toISOString();
    }
  }

  private backlog(): number {
    return this.queue.length + this.held.length + (this.inflight?.count ?? 0);
  }

  private append(entry: PreparedEntry): void {
    const dropped = this.pendingDropped > 0 ? this.pendingDropped : undefined;
    const seq = this.headSeq + 1;
    const { line, hash } = chainEntry(entry, seq, this.headHash, dropped);
    this.pendingDropped = 0;
    this.headSeq = seq;
    this.headHash = hash;
    this.chained++;
    this.queue.push(line);
    this.kick();
  }

  private drain(): Promise<void> {
    const target = this.chained;
    if (this.written >= target) return Promise.resolve();
    if (this.finished) {
      return Promise.reject(
        new Error(`audit log is closed with ${target - this.written} entries not written`),
      );
    }
    return new Promise<void>((resolveWaiter, rejectWaiter) => {
      this.waiters.push({ target, resolve: resolveWaiter, reject: rejectWaiter });
      // A caller waiting is a reason to try again now rather than after the backoff.
      if (this.retryTimer !== undefined) {
        clearTimeout(this.retryTimer);
        this.retryTimer = undefined;
      }
      this.kick();
    });
  }

  private kick(): void {
    if (this.running || this.paused || this.retryTimer !== undefined) return;
    if (this.inflight === undefined && this.queue.length === 0) return;
    this.running = true;
    this.pumpDone = this.pump();
  }

  private async pump(): Promise<void> {
    try {
      while (!this.paused) {
        if (this.inflight === undefined) {
          if (this.queue.length === 0) break;
          this.inflight = this.takeBatch();
        }
        const batch = this.inflight;
        batch.offset += await this.writeSome(batch.buf, batch.offset);
        if (batch.offset < batch.buf.length) continue;
        this.inflight = undefined;
        this.written += batch.count;
        this.retryDelay = FIRST_RETRY_MS;
        this.settleWaiters();
      }
    } catch (err) {
      this.onWriteError(err);
    } finally {
      this.running = false;
    }
  }

  private takeBatch(): Batch {
    let count = 0;
    let bytes = 0;
    while (count < this.queue.length && count < MAX_BATCH_LINES && bytes < MAX_BATCH_BYTES) {
      bytes += (this.queue[count] ?? '').length + 1;
      count++;
    }
    const lines = this.queue.splice(0, count);
    let text = `${lines.join('\n')}\n`;
    if (this.newlineFirst) {
      text = `\n${text}`;
      this.newlineFirst = false;
    }
    return { buf: Buffer.from(text), offset: 0, count };
  }

  private async writeSome(buf: Buffer, offset: number): Promise<number> {
    const { stream, file, fileMode } = this.config;
    if (stream !== undefined) {
      const chunk = offset === 0 ? buf : buf.subarray(offset);
      await new Promise<void>((resolveWrite, rejectWrite) => {
        // The callback waits for the stream to take the chunk: that is the backpressure.
        stream.write(chunk, (err) => (err ? rejectWrite(err) : resolveWrite()));
      });
      return chunk.length;
    }
    this.handle ??= await open(file as string, 'a', fileMode);
    const { bytesWritten } = await this.handle.write(buf, offset, buf.length - offset);
    return bytesWritten;
  }

  private settleWaiters(): void {
    const still: Waiter[] = [];
    for (const waiter of this.waiters) {
      if (this.written >= waiter.target) waiter.resolve();
      else still.push(waiter);
    }
    this.waiters = still;
  }

  private onWriteError(err: unknown): void {
    this.writeErrors++;
    this.lastError = err instanceof Error ? err.message : String(err);
    void this.releaseFile();
    const waiters = this.waiters;
    this.waiters = [];
    const failure = new Error(
      `audit log write failed (${this.lastError}); ${this.backlog()} entries are kept and retried`,
    );
    for (const waiter of waiters) waiter.reject(failure);
    if (this.paused || this.finished) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.kick();
    }, this.retryDelay);
    this.retryTimer.unref();
    this.retryDelay = Math.min(this.retryDelay * 2, LAST_RETRY_MS);
  }

  private readonly onStreamError = (err: unknown): void => {
    // Listening keeps a stream error from crashing the process; the failed write reports it.
    this.lastError = err instanceof Error ? err.message : String(err);
  };

  private async pauseWriter(): Promise<void> {
    this.paused = true;
    if (this.retryTimer !== undefined) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    await this.pumpDone;
    await this.releaseFile();
  }

  private async releaseFile(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close().catch(() => undefined);
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    let failure: unknown;
    try {
      await this.flush();
    } catch (err) {
      failure = err;
    }
    await this.pauseWriter();
    this.finished = true;
    this.config.stream?.removeListener('error', this.onStreamError);
    if (this.config.file !== undefined) liveFiles.delete(this.config.file);
    if (failure !== undefined) {
      throw new Error(
        `audit log closed with ${this.chained - this.written} entries not written: ${this.lastError ?? 'write failed'}`,
        { cause: failure },
      );
    }
  }
}

function parseRecord(line: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function streamStart(start: AuditHead | undefined): StartPoint {
  return {
    head: start ?? { seq: 0, hash: AUDIT_GENESIS_HASH },
    resumed: start === undefined ? 'new' : 'continued',
    newlineFirst: false,
  };
}

function openFile(file: string, mode: number): StartPoint {
  if (liveFiles.has(file)) {
    throw new Error(
      `createAuditLog: ${file} is already written by an audit log of this process; ` +
        'share that instance (use its exportSubject/eraseSubject), two writers would fork the chain',
    );
  }
  let tail: FileTail;
  try {
    tail = readFileTail(file, mode);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(
      `createAuditLog: cannot open the audit log file ${file} (${reason}); check that its directory exists and is writable`,
      { cause: err },
    );
  }
  return startFromTail(tail);
}

const GENESIS: AuditHead = { seq: 0, hash: AUDIT_GENESIS_HASH };

/** Where a file's chain continues, and whether the break at its end must be marked. */
function startFromTail(tail: FileTail): StartPoint {
  if (tail.size === 0) return { head: GENESIS, resumed: 'new', newlineFirst: false };
  const newlineFirst = !tail.lastHasNewline;
  const last = tail.last === undefined ? undefined : headOf(tail.last);
  if (last !== undefined) return { head: last, resumed: 'continued', newlineFirst };
  const torn = tail.last !== undefined && isTorn(tail.last);
  if (torn) {
    // A write cut short (crash, full disk): chain on from the entry before it, and say so.
    const marker = { reason: 'torn_tail', discardedBytes: Buffer.byteLength(tail.last ?? '') };
    if (tail.onlyLine) return { head: GENESIS, resumed: 'torn_tail', newlineFirst, marker };
    const previous = tail.previous === undefined ? undefined : headOf(tail.previous);
    if (previous !== undefined) return { head: previous, resumed: 'torn_tail', newlineFirst, marker };
  }
  // The end of the file does not verify: start a new chain segment; verifying the file reports the break.
  return {
    head: GENESIS,
    resumed: 'unverifiable_tail',
    newlineFirst,
    marker: { reason: 'unverifiable_tail' },
  };
}

function headOf(line: string): AuditHead | undefined {
  const parsed = parseAuditLine(line);
  if (!parsed.ok || checkAuditEntry(parsed.entry) !== undefined) return undefined;
  return { seq: parsed.entry.seq, hash: parsed.entry.hash };
}

function isTorn(line: string): boolean {
  const parsed = parseAuditLine(line);
  return !parsed.ok && parsed.notJson;
}
