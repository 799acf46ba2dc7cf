import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { AUDIT_GENESIS_HASH } from './audit-format';
import { createAuditLog, type AuditLog } from './audit-log';
import { verifyAuditLines, verifyAuditLog } from './audit-verify';
import type { AuditEventInput } from './policy-types';

let dir: string;
let n = 0;
const nextFile = (): string => join(dir, `audit-${++n}.jsonl`);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'audit-log-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A clock that ticks one second per call from a fixed instant. */
function tickingClock(): () => Date {
  let t = Date.parse('2026-11-22T10:00:00.000Z');
  return () => new Date((t += 1000));
}

async function linesOf(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  return text.split('\n').filter((line, i, all) => i < all.length - 1 || line !== '');
}

type Json = Record<string, unknown>;
const parse = (line: string): Json => JSON.parse(line) as Json;

/** A writable that holds every write until `release()`, to fill the queue deterministically. */
function gatedStream(): { stream: Writable; chunks: string[]; release: () => void } {
  const chunks: string[] = [];
  const parked: Array<() => void> = [];
  let open = false;
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      if (open) callback();
      else parked.push(() => callback());
    },
  });
  return {
    stream,
    chunks,
    release: () => {
      open = true;
      for (const done of parked.splice(0)) done();
    },
  };
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('createAuditLog writing a file', () => {
  it('writes one JSON line per event, chained from a genesis of 64 zeros, keys in a fixed order', async () => {
    const file = nextFile();
    const log = createAuditLog({ file, now: tickingClock() });
    log.record({ type: 'auth.failure', tenant: 'acme', data: { reason: 'unknown key', keyId: 'k1' } });
    log.record({
      type: 'policy.change',
      tenant: 'acme',
      subject: 'user-7',
      data: { z: 1, a: { y: 2, b: 3 } },
    });
    await log.close();

    const lines = await linesOf(file);
    expect(lines).toHaveLength(2);
    const [first, second] = lines.map(parse) as [Json, Json];
    expect(Object.keys(first)).toEqual([
      'v',
      'seq',
      'ts',
      'type',
      'tenant',
      'data',
      'salt',
      'content',
      'prev',
      'hash',
    ]);
    expect(first).toMatchObject({
      v: 1,
      seq: 1,
      ts: '2026-11-22T10:00:01.000Z',
      type: 'auth.failure',
      tenant: 'acme',
      data: { keyId: 'k1', reason: 'unknown key' },
      prev: AUDIT_GENESIS_HASH,
    });
    expect(second).toMatchObject({ seq: 2, subject: 'user-7', prev: first.hash });
    expect(lines[1]).toContain('"data":{"a":{"b":3,"y":2},"z":1}');
    expect(log.head()).toEqual({ seq: 2, hash: second.hash });
    await expect(verifyAuditLog(file)).resolves.toMatchObject({ ok: true, entries: 2, head: log.head() });
  });

  it('hashes entries by the documented formula, so other tools can verify the file', async () => {
    const file = nextFile();
    const log = createAuditLog({ file, now: tickingClock() });
    log.record({ type: 'crypto.decrypt', tenant: 'acme', subject: 'u1', data: { field: 'email' } });
    await log.close();
    const [line] = await linesOf(file);
    const e = parse(line ?? '') as { salt: string; content: string; prev: string; hash: string; ts: string };
    const content = createHash('sha256')
      .update(Buffer.from(e.salt, 'hex'))
      .update('{"data":{"field":"email"},"subject":"u1"}')
      .digest('hex');
    expect(e.content).toBe(content);
    expect(e.hash).toBe(
      sha256(
        `${e.prev}{"content":"${content}","seq":1,"tenant":"acme","ts":"${e.ts}","type":"crypto.decrypt","v":1}`,
      ),
    );
  });

  it('keeps the chain in call order across thousands of entries and many write batches', async () => {
    const file = nextFile();
    const log = createAuditLog({ file });
    for (let i = 0; i < 3000; i++) log.record({ type: 'rate_limit.exceeded', tenant: 't', data: { i } });
    await log.flush();
    expect(log.stats()).toMatchObject({ written: 3000, dropped: 0, queued: 0 });
    await log.close();
    const entries = (await linesOf(file)).map(parse);
    expect(entries.map((e) => (e.data as { i: number }).i)).toEqual([...Array(3000).keys()]);
    expect(entries.map((e) => e.seq)).toEqual([...Array(3000).keys()].map((i) => i + 1));
    await expect(verifyAuditLog(file)).resolves.toMatchObject({ ok: true, entries: 3000 });
  });

  it('continues the chain of an existing file when reopened', async () => {
    const file = nextFile();
    const first = createAuditLog({ file });
    first.record({ type: 'auth.failure' });
    first.record({ type: 'auth.failure' });
    await first.close();
    const headBefore = first.head();

    const second = createAuditLog({ file });
    expect(second.head()).toEqual(headBefore);
    expect(second.stats().resumed).toBe('continued');
    second.record({ type: 'policy.change' });
    await second.close();

    const entries = (await linesOf(file)).map(parse);
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(entries[2]?.prev).toBe(headBefore.hash);
    await expect(verifyAuditLog(file)).resolves.toMatchObject({ ok: true, entries: 3 });
  });

  it('continues after a last entry that only lost its newline, keeping one entry per line', async () => {
    const file = nextFile();
    const first = createAuditLog({ file });
    first.record({ type: 'auth.failure' });
    await first.close();
    await writeFile(file, (await readFile(file, 'utf8')).trimEnd());

    const second = createAuditLog({ file });
    expect(second.stats().resumed).toBe('continued');
    second.record({ type: 'policy.change' });
    await second.close();
    expect((await linesOf(file)).map((l) => parse(l).seq)).toEqual([1, 2]);
    await expect(verifyAuditLog(file)).resolves.toMatchObject({ ok: true, entries: 2 });
  });

  it('bridges a torn last line (a crash mid-write) with an audit.resume entry that still verifies', async () => {
    const file = nextFile();
    const log = createAuditLog({ file });
    log.record({ type: 'auth.failure' });
    log.record({ type: 'auth.failure' });
    await log.close();
    const good = log.head();
    await appendFile(file, '{"v":1,"seq":3,"ts":"2026-11-2');

    const reopened = createAuditLog({ file });
    expect(reopened.stats().resumed).toBe('torn_tail');
    reopened.record({ type: 'policy.change' });
    await reopened.close();

    const lines = await linesOf(file);
    expect(lines).toHaveLength(5);
    expect(lines[2]).toBe('{"v":1,"seq":3,"ts":"2026-11-2');
    expect(parse(lines[3] ?? '')).toMatchObject({
      type: 'audit.resume',
      seq: 3,
      prev: good.hash,
      data: { reason: 'torn_tail', discardedBytes: 30 },
    });
    expect(parse(lines[4] ?? '')).toMatchObject({ type: 'policy.change', seq: 4 });
    await expect(verifyAuditLog(file)).resolves.toMatchObject({ ok: true, entries: 4, torn: 1 });
  });

  it('starts a new chain segment after a last line that does not verify, and verify reports that line', async () => {
    const file = nextFile();
    const log = createAuditLog({ file });
    log.record({ type: 'auth.failure', data: { n: 1 } });
    log.record({ type: 'auth.failure', data: { n: 2 } });
    await log.close();
    const lines = await linesOf(file);
    await writeFile(file, `${lines[0]}\n${(lines[1] ?? '').replace('"n":2', '"n":3')}\n`);

    const reopened = createAuditLog({ file });
    expect(reopened.stats().resumed).toBe('unverifiable_tail');
    expect(reopened.head().seq).toBe(1);
    await reopened.close();

    const after = (await linesOf(file)).map(parse);
    expect(after[2]).toMatchObject({
      type: 'audit.resume',
      seq: 1,
      prev: AUDIT_GENESIS_HASH,
      data: { reason: 'unverifiable_tail' },
    });
    await expect(verifyAuditLog(file)).resolves.toMatchObject({
      ok: false,
      firstBroken: { line: 2, seq: 2, reason: 'content_mismatch' },
    });
  });

  it('creates the file readable by its owner only', async () => {
    const file = nextFile();
    const log = createAuditLog({ file });
    await log.close();
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('flushes on close, then drops and counts what is recorded later', async () => {
    const file = nextFile();
    const log = createAuditLog({ file });
    log.record({ type: 'auth.failure' });
    await log.close();
    log.record({ type: 'auth.failure' });
    expect(log.stats()).toMatchObject({ written: 1, dropped: 1, queued: 0 });
    expect(await linesOf(file)).toHaveLength(1);
    await expect(log.close()).resolves.toBeUndefined();
  });

  it('refuses a second live log on the same file, which would fork the chain', async () => {
    const file = nextFile();
    const log = createAuditLog({ file });
    expect(() => createAuditLog({ file: join(dir, '.', `audit-${n}.jsonl`) })).toThrow(
      /already written by an audit log of this process/,
    );
    await log.close();
    const again = createAuditLog({ file });
    await again.close();
  });

  it('says which option to fix', () => {
    const stream = new Writable({ write: (_c, _e, cb) => cb() });
    const cases: Array<[unknown, RegExp]> = [
      [{}, /pass `file`/],
      [{ file: nextFile(), stream }, /either `file` or `stream`/],
      [{ file: '' }, /`file` must be a non-empty path/],
      [{ stream: {} }, /`stream` must be a writable stream/],
      [{ file: nextFile(), maxQueue: 0 }, /`maxQueue` must be a positive integer, got 0/],
      [{ file: nextFile(), maxDataBytes: 10 }, /`maxDataBytes` must be an integer from 256/],
      [{ file: nextFile(), fileMode: 0o1777 }, /`fileMode` must be permission bits/],
      [{ file: nextFile(), now: 5 }, /`now` must be a function/],
      [{ file: nextFile(), start: { seq: 1, hash: AUDIT_GENESIS_HASH } }, /`start` is only for streams/],
      [{ stream, start: { seq: -1, hash: 'x' } }, /`start` must be/],
      [
        { file: join(dir, 'missing-dir', 'a.jsonl') },
        /cannot open the audit log file .*check that its directory exists/,
      ],
    ];
    for (const [options, message] of cases) {
      expect(() => createAuditLog(options as Parameters<typeof createAuditLog>[0])).toThrow(message);
    }
  });
});

describe('createAuditLog writing a stream', () => {
  it('drops events once the queue is full, counts them, and marks the gap on the next entry', async () => {
    const gate = gatedStream();
    const log = createAuditLog({ stream: gate.stream, maxQueue: 3 });
    for (let i = 0; i < 10; i++) log.record({ type: 'rate_limit.exceeded', data: { i } });
    expect(log.stats()).toMatchObject({ dropped: 7, queued: 3 });
    gate.release();
    await log.flush();
    log.record({ type: 'policy.change' });
    await log.close();

    const lines = gate.chunks.join('').split('\n').slice(0, -1);
    const entries = lines.map(parse);
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(entries.map((e) => e.dropped)).toEqual([undefined, undefined, undefined, 7]);
    expect(verifyAuditLines(lines)).toMatchObject({ ok: true, entries: 4 });
    expect(log.stats()).toMatchObject({ written: 4, dropped: 7, queued: 0 });
  });

  it('waits for a slow stream instead of piling up writes, and loses nothing', async () => {
    const received: string[] = [];
    const stream = new Writable({
      highWaterMark: 16,
      write(chunk: Buffer, _encoding, callback) {
        received.push(chunk.toString('utf8'));
        setImmediate(callback);
      },
    });
    const log = createAuditLog({ stream });
    for (let i = 0; i < 2000; i++) log.record({ type: 'auth.failure', data: { i } });
    await log.close();
    const lines = received.join('').split('\n').slice(0, -1);
    expect(lines).toHaveLength(2000);
    expect(verifyAuditLines(lines)).toMatchObject({ ok: true, entries: 2000 });
  });

  it('keeps failed batches, rejects flush, and retries until the chain is written whole', async () => {
    // A duck-typed stream (like a socket wrapper) whose first two writes fail.
    let failures = 2;
    const received: string[] = [];
    const stream = Object.assign(new EventEmitter(), {
      write(chunk: Buffer, callback: (err?: Error | null) => void): boolean {
        if (failures-- > 0) setImmediate(() => callback(new Error('collector unavailable')));
        else {
          received.push(chunk.toString('utf8'));
          setImmediate(() => callback());
        }
        return true;
      },
    }) as unknown as NodeJS.WritableStream;
    const log = createAuditLog({ stream });
    log.record({ type: 'auth.failure', data: { i: 0 } });
    log.record({ type: 'auth.failure', data: { i: 1 } });
    await expect(log.flush()).rejects.toThrow(
      /audit log write failed \(collector unavailable\); 2 entries are kept/,
    );
    await expect(log.flush()).rejects.toThrow(/collector unavailable/);
    log.record({ type: 'auth.failure', data: { i: 2 } });
    await log.flush();
    await log.close();
    const lines = received.join('').split('\n').slice(0, -1);
    expect(lines.map((l) => (parse(l).data as { i: number }).i)).toEqual([0, 1, 2]);
    expect(verifyAuditLines(lines)).toMatchObject({ ok: true, entries: 3 });
    expect(log.stats()).toMatchObject({ written: 3, writeErrors: 2, lastError: 'collector unavailable' });
  });

  it('continues a chain from a stored head, and verify follows it with the same start', async () => {
    const first = gatedStream();
    first.release();
    const a = createAuditLog({ stream: first.stream });
    a.record({ type: 'auth.failure' });
    await a.close();
    const second = gatedStream();
    second.release();
    const b = createAuditLog({ stream: second.stream, start: a.head() });
    b.record({ type: 'auth.failure' });
    await b.close();
    const lines = second.chunks.join('').split('\n').slice(0, -1);
    expect(parse(lines[0] ?? '')).toMatchObject({ seq: 2, prev: a.head().hash });
    expect(verifyAuditLines(lines, { start: a.head() })).toMatchObject({ ok: true, entries: 1 });
    expect(verifyAuditLines(lines)).toMatchObject({ ok: false, firstBroken: { line: 1, reason: 'seq_gap' } });
  });

  it('rejects export and erase, which need a file', async () => {
    const gate = gatedStream();
    const log: AuditLog = createAuditLog({ stream: gate.stream });
    await expect(log.exportSubject('u1')).rejects.toThrow(/needs a file-backed log/);
    await expect(log.eraseSubject('u1')).rejects.toThrow(/needs a file-backed log/);
    gate.release();
    await log.close();
  });
});

describe('createAuditLog with hostile events', () => {
  /** Deterministic pseudo-random numbers, so a failure can be replayed. */
  function prng(seed: number): () => number {
    return () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
  }

  function hostileValue(rand: () => number, depth: number): unknown {
    const pick = Math.floor(rand() * 20);
    switch (pick) {
      case 0:
        return 'x'.repeat(200_000 + Math.floor(rand() * 1000));
      case 1:
        return 'line\nbreak\r\u2028\u2029\u0000\u001b[31m"quote"\\';
      case 2:
        return 10n ** 40n;
      case 3:
        return undefined;
      case 4:
        return Symbol('s');
      case 5:
        return () => 'fn';
      case 6: {
        const cycle: Record<string, unknown> = { name: 'cycle' };
        cycle.self = cycle;
        cycle.list = [cycle, { back: cycle }];
        return cycle;
      }
      case 7:
        return Object.defineProperty({}, 'boom', {
          enumerable: true,
          get() {
            throw new Error('getter throws');
          },
        });
      case 8:
        return new Proxy(
          {},
          {
            ownKeys() {
              throw new Error('ownKeys throws');
            },
          },
        );
      case 9: {
        const { proxy, revoke } = Proxy.revocable({}, {});
        revoke();
        return proxy;
      }
      case 10:
        return { toJSON: () => ({ again: { toJSON: () => 'nested toJSON' } }) };
      case 11:
        return {
          toJSON() {
            throw new Error('toJSON throws');
          },
        };
      case 12:
        return [NaN, Infinity, -0, new Date(NaN), new Date(0), /re/g];
      case 13:
        return new Map<unknown, unknown>([[{ k: 1 }, new Set([1, 2])]]);
      case 14:
        return Buffer.alloc(1_000_000);
      case 15:
        return JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":1}}') as unknown;
      case 16:
        return Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i]));
      case 17: {
        let deep: unknown = 'bottom';
        for (let i = 0; i < 5000; i++) deep = [deep];
        return deep;
      }
      case 18:
        return new Error('failed', { cause: 'x' });
      default: {
        if (depth > 3) return 'leaf';
        const out: Record<string, unknown> = {};
        const keys = 1 + Math.floor(rand() * 4);
        for (let i = 0; i < keys; i++) out[`k\n${i}\u2028`] = hostileValue(rand, depth + 1);
        return out;
      }
    }
  }

  function hostileEvent(rand: () => number): unknown {
    switch (Math.floor(rand() * 8)) {
      case 0:
        return null;
      case 1:
        return 42;
      case 2:
        return new Proxy(
          {},
          {
            get() {
              throw new Error('every read throws');
            },
          },
        );
      case 3:
        return {
          get type(): string {
            throw new Error('type getter throws');
          },
          data: hostileValue(rand, 0),
        };
      case 4:
        return {
          type: 'x'.repeat(10_000),
          tenant: 'a\nb',
          subject: 12345678901234567890n,
          data: hostileValue(rand, 0),
        };
      case 5:
        return { type: Symbol('t'), tenant: {}, subject: 'line\nsubject', data: hostileValue(rand, 0) };
      default:
        return { type: 'auth.failure', tenant: 'acme', subject: 'u1', data: hostileValue(rand, 0) };
    }
  }

  it('never throws out of record and keeps exactly one verifiable entry per line', async () => {
    const file = nextFile();
    const log = createAuditLog({ file, now: tickingClock() });
    const rand = prng(20261122);
    const recorded = 400;
    for (let i = 0; i < recorded; i++) {
      const event = hostileEvent(rand);
      expect(() => log.record(event as AuditEventInput)).not.toThrow();
    }
    await log.close();

    const text = await readFile(file, 'utf8');
    const lines = text.split('\n').slice(0, -1);
    expect(log.stats().dropped).toBe(0);
    expect(lines).toHaveLength(recorded);
    for (const line of lines) {
      expect(line).not.toMatch(/[\r\u2028\u2029]/);
      expect(Buffer.byteLength(line)).toBeLessThan(8 * 1024 + 2048);
    }
    const entries = lines.map(parse);
    expect(entries.map((e) => e.seq)).toEqual([...Array(recorded).keys()].map((i) => i + 1));
    expect(entries.some((e) => String(JSON.stringify(e.data)).includes('[Circular]'))).toBe(true);
    expect(entries.some((e) => String(JSON.stringify(e.data)).includes('[Unreadable]'))).toBe(true);
    expect(entries.some((e) => e.type === 'unknown')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await expect(verifyAuditLog(file)).resolves.toMatchObject({ ok: true, entries: recorded });
  });

  it('survives a clock that throws or returns garbage', async () => {
    const file = nextFile();
    const clocks = [
      () => {
        throw new Error('clock broke');
      },
      () => new Date(NaN),
      () => 'not a date' as unknown as Date,
    ];
    for (const now of clocks) {
      const log = createAuditLog({ file, now });
      expect(() => log.record({ type: 'auth.failure' })).not.toThrow();
      await log.close();
    }
    const entries = (await linesOf(file)).map(parse);
    expect(entries).toHaveLength(3);
    for (const e of entries) expect(Number.isNaN(Date.parse(e.ts as string))).toBe(false);
    await expect(verifyAuditLog(file)).resolves.toMatchObject({ ok: true, entries: 3 });
  });
});
