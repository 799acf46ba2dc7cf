import { captureJsonLines, startLokiPeer, type LokiPeer, type CapturedLines } from '@autoweave/test-utils';
import { createLogger, type LoggerHandle, type LoggerOptions } from './index';

describe('redaction hook and record size cap', () => {
  let peer: LokiPeer;
  let handle: LoggerHandle | undefined;
  let out: CapturedLines;

  const logger = (options: Partial<LoggerOptions>): LoggerHandle => {
    handle = createLogger({
      service: 'api',
      environment: 'test',
      stream: out.stream,
      loki: { url: peer.url, intervalMs: 20 },
      ...options,
    });
    return handle;
  };

  beforeEach(async () => {
    peer = await startLokiPeer();
    out = captureJsonLines();
  });
  afterEach(async () => {
    await handle?.shutdown();
    handle = undefined;
    await peer.stop();
  });

  it('applies the hook to both stdout and Loki, and drops records it returns false for', async () => {
    const {
      logger: log,
      stats,
      flush,
    } = logger({
      redact: (record) => {
        if (record.message === 'secret only') return false;
        if (typeof record.email === 'string') record.email = '[redacted]';
        return record;
      },
    });
    log.info('signed up', { email: 'ada@example.com' });
    log.info('secret only');
    log.info('kept');
    await flush();
    const lines = await peer.waitForEntries(2);

    expect(out.records().map((r) => r.message)).toEqual(['signed up', 'kept']);
    expect(out.records()[0]?.email).toBe('[redacted]');
    expect(lines.map((e) => JSON.parse(e.line) as Record<string, unknown>)[0]).toMatchObject({
      message: 'signed up',
      email: '[redacted]',
    });
    expect(out.raw().join('\n')).not.toContain('ada@example.com');
    expect(lines.map((e) => e.line).join('\n')).not.toContain('ada@example.com');
    expect(stats().dropped.redacted).toBe(1);
  });

  it('accepts a new record object from the hook', async () => {
    const { logger: log, flush } = logger({
      redact: ({ level, message }) => ({ level, message, scrubbed: true }),
    });
    log.info('replace me', { password: 'hunter2' });
    await flush();
    const [entry] = await peer.waitForEntries(1);
    expect(out.records()[0]).toEqual({ level: 'info', message: 'replace me', scrubbed: true });
    expect(entry?.line).not.toContain('hunter2');
    expect(entry?.labels.level).toBe('info');
  });

  it('drops and counts records whose hook throws, and keeps logging afterwards', async () => {
    const {
      logger: log,
      stats,
      flush,
    } = logger({
      redact: (record) => {
        if (record.message === 'explode') throw new Error('redactor bug');
        return record;
      },
    });
    expect(() => log.info('explode', { ssn: '078-05-1120' })).not.toThrow();
    log.info('next one');
    await flush();
    await peer.waitForEntries(1);
    expect(out.records().map((r) => r.message)).toEqual(['next one']);
    expect(
      peer
        .entries()
        .map((e) => e.line)
        .join(''),
    ).not.toContain('078-05-1120');
    expect(stats().dropped.redact_error).toBe(1);
  });

  it('truncates an oversized record with a marker instead of dropping it, keeping the correlation fields', async () => {
    const { logger: log, stats, flush } = logger({ maxRecordBytes: 4096 });
    log.info('x'.repeat(100_000), { payload: { blob: 'y'.repeat(50_000) }, small: 42 });
    await flush();
    const [entry] = await peer.waitForEntries(1);
    const [record] = out.records();
    expect(Buffer.byteLength(out.raw()[0] ?? '')).toBeLessThanOrEqual(4096);
    expect(Buffer.byteLength(entry?.line ?? '')).toBeLessThanOrEqual(4096);
    expect(record).toMatchObject({ truncated: true, level: 'info', service: 'api', small: 42 });
    expect(record?.original_bytes).toBeGreaterThan(150_000);
    expect(String(record?.message)).toMatch(/^x+…\[truncated\]$/);
    expect(stats().truncated).toBe(1);
  });

  it('truncates a record with thousands of fields', () => {
    const { logger: log } = logger({ maxRecordBytes: 2048 });
    const fields = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`field_${i}`, i]));
    log.info('many fields', fields);
    const [record] = out.records();
    expect(Buffer.byteLength(out.raw()[0] ?? '')).toBeLessThanOrEqual(2048);
    expect(record).toMatchObject({ message: 'many fields', truncated: true });
    expect(record?.omitted_fields).toBeGreaterThan(0);
  });
});
