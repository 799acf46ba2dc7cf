import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { eraseAuditSubject, exportAuditSubject } from './audit-gdpr';
import { createAuditLog, type AuditLog } from './audit-log';
import { verifyAuditLog } from './audit-verify';

let dir: string;
let n = 0;
const nextFile = (): string => join(dir, `gdpr-${++n}.jsonl`);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'audit-gdpr-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Json = Record<string, unknown> & {
  seq: number;
  type: string;
  subject?: string;
  data?: Record<string, unknown>;
};

async function entriesOf(file: string): Promise<Json[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .slice(0, -1)
    .map((line) => JSON.parse(line) as Json);
}

const ALICE = 'alice@example.com';

/** A log with entries for alice (two tenants), bob, and no subject, interleaved. */
function seed(log: AuditLog): void {
  log.record({
    type: 'auth.failure',
    tenant: 'acme',
    subject: ALICE,
    data: { ip: '203.0.113.7', email: ALICE },
  });
  log.record({ type: 'auth.failure', tenant: 'acme', subject: 'bob', data: { ip: '198.51.100.2' } });
  log.record({ type: 'rate_limit.exceeded', tenant: 'acme', data: { budget: 'requests' } });
  log.record({ type: 'crypto.decrypt', tenant: 'globex', subject: ALICE, data: { field: 'phone' } });
  log.record({
    type: 'crypto.decrypt',
    tenant: 'acme',
    subject: 'alice@example.co',
    data: { field: 'phone' },
  });
  log.record({ type: 'auth.tenant_mismatch', tenant: 'acme', subject: ALICE, data: { claimed: 'globex' } });
}

describe('AuditLog.exportSubject', () => {
  it("returns exactly the subject's entries, in order, and records the export", async () => {
    const file = nextFile();
    const log = createAuditLog({ file });
    seed(log);
    const exported = await log.exportSubject(ALICE, { data: { ticket: 'DSR-17' } });
    expect(exported.map((e) => e.seq)).toEqual([1, 4, 6]);
    expect(exported.every((e) => e.subject === ALICE)).toBe(true);
    expect(exported[0]).toMatchObject({ type: 'auth.failure', data: { email: ALICE, ip: '203.0.113.7' } });

    const acmeOnly = await log.exportSubject(ALICE, { tenant: 'acme' });
    expect(acmeOnly.map((e) => e.seq)).toEqual([1, 6]);
    await log.close();

    const all = await entriesOf(file);
    expect(all[6]).toMatchObject({
      seq: 7,
      type: 'gdpr.export',
      subject: ALICE,
      data: { entries: 3, ticket: 'DSR-17' },
    });
    expect(all[7]).toMatchObject({ seq: 8, type: 'gdpr.export', tenant: 'acme', data: { entries: 2 } });
    await expect(verifyAuditLog(file)).resolves.toMatchObject({ ok: true, entries: 8 });
  });

  it('includes entries recorded just before the call, still queued at that moment', async () => {
    const file = nextFile();
    const log = createAuditLog({ file });
    log.record({ type: 'auth.failure', subject: 'carol' });
    const exported = await log.exportSubject('carol');
    expect(exported).toHaveLength(1);
    await log.close();
  });

  it('refuses a subject that is not a non-empty string', async () => {
    const log = createAuditLog({ file: nextFile() });
    await expect(log.exportSubject('')).rejects.toThrow(/subject must be a non-empty string/);
    await expect(log.eraseSubject(42 as unknown as string)).rejects.toThrow(
      /subject must be a non-empty string/,
    );
    await expect(log.eraseSubject('x', { tenant: '' })).rejects.toThrow(
      /options.tenant must be a non-empty string/,
    );
    await log.close();
    await expect(log.exportSubject('x')).rejects.toThrow(/the log is closed/);
  });
});

describe('AuditLog.eraseSubject', () => {
  it("removes the subject's personal data, keeps the chain verifiable and audits the erasure", async () => {
    const file = nextFile();
    const log = createAuditLog({ file });
    seed(log);
    const erased = await log.eraseSubject(ALICE, { data: { ticket: 'DSR-18' } });
    expect(erased).toBe(3);
    await log.close();

    const text = await readFile(file, 'utf8');
    expect(text).not.toContain(ALICE);
    expect(text).not.toContain('203.0.113.7');
    const entries = await entriesOf(file);
    expect(entries).toHaveLength(7);
    for (const seq of [1, 4, 6]) {
      const e = entries[seq - 1] as Json;
      expect(e).toMatchObject({ seq, erasedBy: 7 });
      expect(Object.keys(e)).toEqual([
        'v',
        'seq',
        'ts',
        'type',
        'tenant',
        'erasedBy',
        'content',
        'prev',
        'hash',
      ]);
    }
    expect(entries[1]).toMatchObject({ subject: 'bob', data: { ip: '198.51.100.2' } });
    expect(entries[4]).toMatchObject({ subject: 'alice@example.co' });
    expect(entries[6]).toMatchObject({ seq: 7, type: 'gdpr.erase', data: { erased: 3, ticket: 'DSR-18' } });
    expect(entries[6]).not.toHaveProperty('subject');
    await expect(verifyAuditLog(file, { expectedHead: log.head() })).resolves.toMatchObject({
      ok: true,
      entries: 7,
      erased: 3,
    });
  });

  it('erases only the given tenant when asked', async () => {
    const file = nextFile();
    const log = createAuditLog({ file });
    seed(log);
    await expect(log.eraseSubject(ALICE, { tenant: 'globex' })).resolves.toBe(1);
    await expect(log.exportSubject(ALICE)).resolves.toHaveLength(2);
    await log.close();
    const entries = await entriesOf(file);
    expect(entries[6]).toMatchObject({ type: 'gdpr.erase', tenant: 'globex', data: { erased: 1 } });
    await expect(verifyAuditLog(file)).resolves.toMatchObject({ ok: true, erased: 1 });
  });

  it('loses no entry recorded while the file is rewritten; those follow the gdpr.erase entry', async () => {
    const file = nextFile();
    const log = createAuditLog({ file });
    for (let i = 0; i < 2000; i++)
      log.record({ type: 'auth.failure', subject: i % 2 ? ALICE : 'bob', data: { i } });
    const erasing = log.eraseSubject(ALICE);
    let i = 2000;
    let done = false;
    void erasing.finally(() => (done = true));
    // The erasure starts running right after the call; from then on new events are held, not erased.
    while (!done) {
      await nextTurn();
      log.record({ type: 'auth.failure', subject: ALICE, data: { i: i++ } });
    }
    await expect(erasing).resolves.toBe(1000);
    expect(i).toBeGreaterThan(2001);
    for (let k = 0; k < 3; k++) log.record({ type: 'auth.failure', subject: ALICE, data: { i: i++ } });
    await log.close();

    const entries = await entriesOf(file);
    expect(log.stats().dropped).toBe(0);
    expect(entries).toHaveLength(i + 1);
    expect(entries[2000]).toMatchObject({ seq: 2001, type: 'gdpr.erase', data: { erased: 1000 } });
    const recordedIs = entries
      .filter((e) => e.type !== 'gdpr.erase' && e.data !== undefined)
      .map((e) => e.data?.i);
    expect(recordedIs).toHaveLength(1000 + (i - 2000));
    const later = entries.slice(2001);
    expect(later.length).toBe(i - 2000);
    expect(later.every((e) => e.subject === ALICE)).toBe(true);
    await expect(verifyAuditLog(file)).resolves.toMatchObject({ ok: true, entries: i + 1, erased: 1000 });
  });

  it('keeps one entry per line when the file it resumed did not end with a newline', async () => {
    const file = nextFile();
    const first = createAuditLog({ file });
    first.record({ type: 'auth.failure', subject: ALICE });
    await first.close();
    await writeFile(file, (await readFile(file, 'utf8')).trimEnd());

    const log = createAuditLog({ file });
    await expect(log.eraseSubject(ALICE)).resolves.toBe(1);
    log.record({ type: 'policy.change' });
    await log.close();
    expect((await entriesOf(file)).map((e) => e.type)).toEqual([
      'auth.failure',
      'gdpr.erase',
      'policy.change',
    ]);
    await expect(verifyAuditLog(file)).resolves.toMatchObject({ ok: true, entries: 3, erased: 1 });
  });

  it('records an erasure that found nothing, too', async () => {
    const file = nextFile();
    const log = createAuditLog({ file });
    log.record({ type: 'auth.failure', subject: 'bob' });
    await expect(log.eraseSubject('nobody')).resolves.toBe(0);
    await log.close();
    const entries = await entriesOf(file);
    expect(entries.at(-1)).toMatchObject({ seq: 2, type: 'gdpr.erase', data: { erased: 0 } });
    await expect(verifyAuditLog(file)).resolves.toMatchObject({ ok: true, entries: 2, erased: 0 });
  });

  it('replaces the file atomically and leaves no temp file behind', async () => {
    const file = nextFile();
    const log = createAuditLog({ file });
    seed(log);
    await log.flush();
    const inodeBefore = (await stat(file)).ino;
    await log.eraseSubject(ALICE);
    const after = await stat(file);
    expect(after.ino).not.toBe(inodeBefore);
    expect(after.mode & 0o777).toBe(0o600);
    // The writer follows the new file: entries after the erasure land in it.
    log.record({ type: 'policy.change' });
    await log.close();
    expect((await entriesOf(file)).at(-1)).toMatchObject({ seq: 8, type: 'policy.change' });
    expect((await readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('keeps several erasures apart, each accounted for by its own gdpr.erase entry', async () => {
    const file = nextFile();
    const log = createAuditLog({ file });
    seed(log);
    const [a, b] = await Promise.all([log.eraseSubject(ALICE), log.eraseSubject('bob')]);
    expect([a, b]).toEqual([3, 1]);
    seed(log);
    await expect(log.eraseSubject(ALICE)).resolves.toBe(3);
    await log.close();
    const entries = await entriesOf(file);
    expect(entries.filter((e) => e.type === 'gdpr.erase').map((e) => [e.seq, e.data?.erased])).toEqual([
      [7, 3],
      [8, 1],
      [15, 3],
    ]);
    await expect(verifyAuditLog(file)).resolves.toMatchObject({ ok: true, entries: 15, erased: 7 });
  });
});

describe('exportAuditSubject and eraseAuditSubject on a file at rest', () => {
  it('erase appends its gdpr.erase entry to the file, and a reopened log continues after it', async () => {
    const file = nextFile();
    const log = createAuditLog({ file });
    seed(log);
    await log.close();
    await expect(eraseAuditSubject(file, ALICE)).resolves.toBe(3);
    await expect(verifyAuditLog(file)).resolves.toMatchObject({ ok: true, entries: 7, erased: 3 });

    const reopened = createAuditLog({ file });
    expect(reopened.head().seq).toBe(7);
    reopened.record({ type: 'policy.change' });
    await reopened.close();
    await expect(verifyAuditLog(file)).resolves.toMatchObject({ ok: true, entries: 8 });
  });

  it('export records gdpr.export in the given sink and leaves the archive untouched', async () => {
    const archive = nextFile();
    const old = createAuditLog({ file: archive });
    seed(old);
    await old.close();
    const bytes = await readFile(archive);

    const live = createAuditLog({ file: nextFile() });
    const exported = await exportAuditSubject(archive, ALICE, { audit: live });
    expect(exported.map((e) => e.seq)).toEqual([1, 4, 6]);
    expect(await readFile(archive)).toEqual(bytes);
    await live.close();
    const liveEntries = await entriesOf(join(dir, `gdpr-${n}.jsonl`));
    expect(liveEntries).toEqual([
      expect.objectContaining({
        type: 'gdpr.export',
        subject: ALICE,
        data: { entries: 3, file: `gdpr-${n - 1}.jsonl` },
      }),
    ]);
  });

  it('export without a sink audits itself in the file', async () => {
    const file = nextFile();
    const log = createAuditLog({ file });
    seed(log);
    await log.close();
    await expect(exportAuditSubject(file, 'bob')).resolves.toHaveLength(1);
    expect((await entriesOf(file)).at(-1)).toMatchObject({ type: 'gdpr.export', subject: 'bob', seq: 7 });
    await expect(verifyAuditLog(file)).resolves.toMatchObject({ ok: true });
  });

  it('refuses a file that a live log of this process is writing', async () => {
    const file = nextFile();
    const log = createAuditLog({ file });
    await expect(eraseAuditSubject(file, ALICE)).rejects.toThrow(/use its exportSubject\/eraseSubject/);
    await expect(exportAuditSubject(file, ALICE)).rejects.toThrow(/already written by an audit log/);
    await log.close();
  });
});
