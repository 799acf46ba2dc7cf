// The redactor against a corpus of ordinary log lines (ids, timestamps, durations, versions, UUIDs,
// trace ids, phone numbers, long numbers that fail Luhn, words like "tokenizer", paths, URLs, ports):
// nothing in it is personal data or a secret, so nothing in it may change.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isLuhnValid } from './luhn';
import { createRedactor } from './redact';

const lines = readFileSync(join(__dirname, 'test-fixtures', 'ordinary-log-lines.txt'), 'utf8')
  .split('\n')
  .filter((line) => line.length > 0);

describe('the ordinary log line corpus', () => {
  it('has at least 200 lines covering the look-alikes it is meant to cover', () => {
    expect(lines.length).toBeGreaterThanOrEqual(200);
    const covers = (pattern: RegExp) => lines.filter((line) => pattern.test(line)).length;
    expect(covers(/ORD-\d{4}-\d{6}/)).toBeGreaterThan(10);
    expect(covers(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/)).toBeGreaterThan(50);
    expect(covers(/\b\d+ms\b/)).toBeGreaterThan(20);
    expect(covers(/\bv?\d+\.\d+\.\d+(?:[-+.][\w.]+)?\b/)).toBeGreaterThan(10);
    expect(covers(/\b[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}\b/)).toBeGreaterThan(10);
    expect(covers(/trace_id"?[=:]"?[0-9a-f]{32}\b/)).toBeGreaterThan(10);
    expect(covers(/\+\d{1,2}[ -]\(?\d/)).toBeGreaterThan(10);
    expect(covers(/tokenizer/)).toBe(1);
    expect(covers(/bearer of news/)).toBe(1);
    expect(covers(/https?:\/\/[^\s@]+/)).toBeGreaterThan(5);
    expect(covers(/ (?:\/|\.\/|C:\\)[\w.-]+[/\\]/)).toBeGreaterThan(5);
    expect(covers(/port \d{2,5}\b/)).toBeGreaterThan(5);
  });

  it('holds 16-digit numbers, some with card prefixes, and grouped phone-like numbers, all failing Luhn', () => {
    const sixteen = lines.flatMap((line) => line.match(/(?<![\w-])\d{16}(?![\w-])/g) ?? []);
    expect(sixteen.length).toBeGreaterThanOrEqual(16);
    expect(sixteen.filter((n) => /^[3-6]/.test(n)).length).toBeGreaterThanOrEqual(10);
    const grouped = lines.flatMap((line) => line.match(/\d{2,4}(?:[ -]\d{3,4}){3}/g) ?? []);
    expect(grouped.length).toBeGreaterThanOrEqual(10);
    for (const number of [...sixteen.filter((n) => !n.startsWith('1')), ...grouped]) {
      expect([number, isLuhnValid(number)]).toEqual([number, false]);
    }
  });

  it.each([
    ['the default policy', undefined],
    ['a policy that masks IPs', { maskIps: true }],
  ])('leaves every line unchanged under %s', (_name, policy) => {
    const redactor = createRedactor({ policyFor: () => policy });
    const changed = lines
      .map((line) => ({ line, redacted: redactor.redactString(line, 'acme') }))
      .filter(({ line, redacted }) => redacted !== line);
    expect(changed).toEqual([]);
    expect(Object.values(redactor.stats()).every((count) => count === 0)).toBe(true);
  });

  it('leaves every line unchanged as a log message and as an attribute value', () => {
    const redactor = createRedactor({ policyFor: () => ({ maskIps: true }) });
    for (const line of lines) {
      expect(redactor.logHook({ level: 'info', message: line, tenant_id: 'acme', detail: line })).toEqual({
        level: 'info',
        message: line,
        tenant_id: 'acme',
        detail: line,
      });
      expect(redactor.redactAttributes({ 'log.line': line }, 'acme')).toEqual({ 'log.line': line });
    }
  });

  it('still finds personal data added to any line, and changes nothing else', () => {
    const redactor = createRedactor({ policyFor: () => ({ maskIps: true }) });
    for (const line of lines) {
      expect(
        redactor.redactString(
          `${line} contact bob@example.com card 4111 1111 1111 1111 from 198.51.100.23`,
          'acme',
        ),
      ).toBe(`${line} contact [email] card [card] from [ip]`);
    }
    expect(redactor.stats()).toMatchObject({ email: lines.length, card: lines.length, ip: lines.length });
  });
});
