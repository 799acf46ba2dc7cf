import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chainHash, type AuditEntry } from './audit-format';
import { createAuditLog } from './audit-log';
import { verifyAuditLines, verifyAuditLog } from './audit-verify';

let dir: string;
let n = 0;
const nextFile = (): string => join(dir, `verify-${++n}.jsonl`);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'audit-verify-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes `count` real entries through the log and returns the file, its lines and the head. */
async function writtenLog(
  count: number,
): Promise<{ file: string; lines: string[]; head: { seq: number; hash: string } }> {
  const file = nextFile();
  const log = createAuditLog({ file, maxQueue: Math.max(10_000, count) });
  for (let i = 1; i <= count; i++) {
    log.record({ type: 'auth.failure', tenant: 'acme', subject: `user-${i % 3}`, data: { attempt: i } });
  }
  await log.close();
  expect(log.stats().dropped).toBe(0);
  const lines = (await readFile(file, 'utf8')).split('\n').slice(0, -1);
  return { file, lines, head: log.head() };
}

const entryAt = (lines: string[], i: number): AuditEntry & Record<string, unknown> =>
  JSON.parse(lines[i] ?? '') as AuditEntry & Record<string, unknown>;
const withLine = (lines: string[], i: number, line: string): string[] =>
  lines.map((l, j) => (j === i ? line : l));

describe('verifyAuditLines', () => {
  it('accepts an untouched log and reports its head', async () => {
    const { lines, head } = await writtenLog(5);
    expect(verifyAuditLines(lines)).toEqual({ ok: true, entries: 5, erased: 0, torn: 0, head });
    expect(verifyAuditLines([])).toEqual({ ok: true, entries: 0, erased: 0, torn: 0 });
  });

  it('detects edited data as a content mismatch on that line', async () => {
    const { lines } = await writtenLog(5);
    const edited = withLine(lines, 2, (lines[2] ?? '').replace('"attempt":3', '"attempt":4'));
    expect(verifyAuditLines(edited)).toMatchObject({
      ok: false,
      entries: 2,
      firstBroken: { line: 3, seq: 3, reason: 'content_mismatch' },
    });
  });

  it('detects an edited subject as a content mismatch', async () => {
    const { lines } = await writtenLog(3);
    const edited = withLine(lines, 0, (lines[0] ?? '').replace('"user-1"', '"user-2"'));
    expect(verifyAuditLines(edited).firstBroken).toMatchObject({ line: 1, reason: 'content_mismatch' });
  });

  it('detects an edited timestamp, type or tenant as a hash mismatch', async () => {
    const { lines } = await writtenLog(3);
    for (const [from, to] of [
      ['"ts":"', '"ts":"1'],
      ['"auth.failure"', '"policy.change"'],
      ['"tenant":"acme"', '"tenant":"evil"'],
    ] as const) {
      const edited = withLine(lines, 1, (lines[1] ?? '').replace(from, to));
      expect(verifyAuditLines(edited).firstBroken).toMatchObject({
        line: 2,
        seq: 2,
        reason: 'hash_mismatch',
      });
    }
  });

  it('detects an edited entry whose hash was recomputed at the next line', async () => {
    const { lines } = await writtenLog(4);
    const entry = entryAt(lines, 1);
    const forged = { ...entry, ts: '2000-01-01T00:00:00.000Z' };
    const rehashed = JSON.stringify({ ...forged, hash: chainHash(forged.prev, forged) });
    expect(verifyAuditLines(withLine(lines, 1, rehashed)).firstBroken).toMatchObject({
      line: 3,
      seq: 3,
      reason: 'prev_mismatch',
    });
  });

  it('detects a deleted line as a seq gap where it was', async () => {
    const { lines } = await writtenLog(5);
    const deleted = lines.filter((_, i) => i !== 2);
    expect(verifyAuditLines(deleted)).toMatchObject({
      ok: false,
      entries: 2,
      firstBroken: { line: 3, seq: 4, reason: 'seq_gap', detail: 'expected seq 3, found 4' },
    });
  });

  it('detects a deleted first line', async () => {
    const { lines } = await writtenLog(3);
    expect(verifyAuditLines(lines.slice(1)).firstBroken).toMatchObject({
      line: 1,
      seq: 2,
      reason: 'seq_gap',
    });
  });

  it('detects reordered lines', async () => {
    const { lines } = await writtenLog(5);
    const swapped = [lines[0], lines[2], lines[1], lines[3], lines[4]] as string[];
    expect(verifyAuditLines(swapped).firstBroken).toMatchObject({ line: 2, seq: 3, reason: 'seq_gap' });
  });

  it('detects an inserted line, copied or forged', async () => {
    const { lines } = await writtenLog(4);
    const copied = [...lines.slice(0, 2), lines[1], ...lines.slice(2)] as string[];
    expect(verifyAuditLines(copied).firstBroken).toMatchObject({ line: 3, seq: 2, reason: 'seq_gap' });

    // A forger who chains a new entry after line 2 still breaks the link to line 3.
    const prev = entryAt(lines, 1);
    const fake = { ...entryAt(lines, 2), seq: 3, prev: prev.hash };
    const forged = JSON.stringify({ ...fake, hash: chainHash(fake.prev, fake) });
    const inserted = [...lines.slice(0, 2), forged, ...lines.slice(2)] as string[];
    expect(verifyAuditLines(inserted).firstBroken).toMatchObject({ line: 4, seq: 3, reason: 'seq_gap' });
  });

  it('cannot see a line cut from the end, but an expected head stored elsewhere can', async () => {
    const { lines, head } = await writtenLog(5);
    const cut = lines.slice(0, -1);
    expect(verifyAuditLines(cut).ok).toBe(true);
    expect(verifyAuditLines(cut, { expectedHead: head })).toMatchObject({
      ok: false,
      firstBroken: { line: 5, seq: 5, reason: 'head_mismatch', detail: 'the file ends before seq 5' },
    });
    expect(verifyAuditLines(lines, { expectedHead: head }).ok).toBe(true);
  });

  it('accepts a head anchored earlier while the log kept growing, and catches it being replaced', async () => {
    const { lines } = await writtenLog(6);
    const anchored = { seq: 3, hash: entryAt(lines, 2).hash };
    expect(verifyAuditLines(lines, { expectedHead: anchored }).ok).toBe(true);
    // Rewriting the chain from line 2 on (a consistent forgery) still disagrees with the anchor.
    const forgedChain: string[] = [lines[0] ?? ''];
    let prev = entryAt(lines, 0).hash;
    for (let i = 1; i < lines.length; i++) {
      const e = { ...entryAt(lines, i), prev, ts: '2000-01-01T00:00:00.000Z' };
      const hash = chainHash(prev, e);
      forgedChain.push(JSON.stringify({ ...e, hash }));
      prev = hash;
    }
    expect(verifyAuditLines(forgedChain).ok).toBe(true);
    expect(verifyAuditLines(forgedChain, { expectedHead: anchored }).firstBroken).toMatchObject({
      line: 3,
      reason: 'head_mismatch',
    });
  });

  it('reports lines that are not entries as malformed, saying why', async () => {
    const { lines } = await writtenLog(3);
    const cases: Array<[string, RegExp]> = [
      ['', /empty line/],
      ['[1,2]', /not a JSON object/],
      [(lines[1] ?? '').replace('{"v":1,', '{"v":1,"extra":true,'), /unknown field "extra"/],
      [(lines[1] ?? '').replace('"v":1', '"v":2'), /v must be 1/],
      [(lines[1] ?? '').replace(/"salt":"[0-9a-f]+"/, '"salt":"zz"'), /salt must be 32 lowercase hex/],
      [(lines[1] ?? '').replace(/"hash":"[0-9a-f]+"/, '"hash":"ABC"'), /hash must be 64 lowercase hex/],
    ];
    for (const [line, why] of cases) {
      const result = verifyAuditLines(withLine(lines, 1, line));
      expect(result.firstBroken).toMatchObject({ line: 2, reason: 'malformed' });
      expect(result.firstBroken?.detail).toMatch(why);
    }
  });

  it('does not accept a garbage line in the middle unless an audit.resume entry bridges it', async () => {
    const { lines } = await writtenLog(3);
    const garbage = [lines[0], '{"v":1,"seq":2,"ts', lines[1], lines[2]] as string[];
    expect(verifyAuditLines(garbage).firstBroken).toMatchObject({ line: 2, reason: 'malformed' });
  });

  it('flags an erased entry that no gdpr.erase entry accounts for', async () => {
    const { lines } = await writtenLog(4);
    const { subject: _s, data: _d, salt: _salt, ...rest } = entryAt(lines, 1);
    const blanked = JSON.stringify({ ...rest, erasedBy: 9 });
    expect(verifyAuditLines(withLine(lines, 1, blanked))).toMatchObject({
      ok: false,
      entries: 4,
      firstBroken: { line: 2, seq: 2, reason: 'erasure_unaccounted', detail: 'no gdpr.erase entry for it' },
    });
    const pointsAtAnotherEntry = JSON.stringify({ ...rest, erasedBy: 3 });
    expect(verifyAuditLines(withLine(lines, 1, pointsAtAnotherEntry)).firstBroken).toMatchObject({
      line: 2,
      reason: 'erasure_unaccounted',
      detail: 'erased by entry 3, which is not gdpr.erase',
    });
  });
});

describe('verifyAuditLog', () => {
  it('verifies a large file streamed line by line', async () => {
    const { file, head } = await writtenLog(20_000);
    await expect(verifyAuditLog(file, { expectedHead: head })).resolves.toMatchObject({
      ok: true,
      entries: 20_000,
    });
  });

  it('reports a last line cut short as truncated', async () => {
    const { file, lines } = await writtenLog(3);
    await writeFile(file, `${lines[0]}\n${lines[1]}\n${(lines[2] ?? '').slice(0, 40)}`);
    await expect(verifyAuditLog(file)).resolves.toMatchObject({
      ok: false,
      entries: 2,
      firstBroken: { line: 3, reason: 'truncated' },
    });
  });

  it('reports an over-long line as malformed without holding it in memory', async () => {
    const { file } = await writtenLog(2);
    await appendFile(file, `${'x'.repeat(300_000)}\n`);
    await expect(verifyAuditLog(file, { maxLineBytes: 64 * 1024 })).resolves.toMatchObject({
      ok: false,
      firstBroken: { line: 3, reason: 'malformed', detail: 'line is longer than maxLineBytes' },
    });
  });

  it('rejects when the file cannot be read', async () => {
    await expect(verifyAuditLog(join(dir, 'missing.jsonl'))).rejects.toThrow(/ENOENT/);
  });
});
