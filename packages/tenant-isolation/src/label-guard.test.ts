import { OVERFLOW_LABEL_VALUE, createLabelGuard } from './index';

describe('label guard', () => {
  it('keeps at most `cap` distinct values out of 10,000 hostile ones and counts the rest', () => {
    const guard = createLabelGuard({ cap: 50 });
    const out = new Set<string>();
    for (let i = 0; i < 10_000; i++) out.add(guard.bound(`evil-${i}`));
    expect(out.size).toBe(51); // 50 accepted + the overflow value
    expect(out.has(OVERFLOW_LABEL_VALUE)).toBe(true);
    expect(guard.rejected).toBe(10_000 - 50);
  });

  it('accepts a value it has already seen even when full', () => {
    const guard = createLabelGuard({ cap: 1 });
    expect(guard.bound('a')).toBe('a');
    expect(guard.bound('b')).toBe(OVERFLOW_LABEL_VALUE);
    expect(guard.bound('a')).toBe('a');
  });

  it('with allowOnly accepts only the allow-list', () => {
    const guard = createLabelGuard({
      allow: ['acme', 'globex'],
      allowOnly: true,
      overflowValue: '__unknown__',
    });
    expect(guard.bound('acme')).toBe('acme');
    expect(guard.bound('initech')).toBe('__unknown__');
    expect(guard.size).toBe(2);
  });

  it('rejects non-strings, empty and oversized values', () => {
    const guard = createLabelGuard({ maxLength: 8 });
    expect(guard.bound(undefined)).toBe(OVERFLOW_LABEL_VALUE);
    expect(guard.bound('')).toBe(OVERFLOW_LABEL_VALUE);
    expect(guard.bound('x'.repeat(9))).toBe(OVERFLOW_LABEL_VALUE);
    expect(guard.rejected).toBe(3);
  });

  it('refuses a nonsensical configuration', () => {
    expect(() => createLabelGuard({ cap: -1 })).toThrow(/cap must be a non-negative integer/);
  });

  it('admits values beyond the allow-list only when accept says so, following changes, up to the cap', () => {
    const known = new Set(['a']);
    const guard = createLabelGuard({ accept: (v) => known.has(v), cap: 2, overflowValue: '__unknown__' });
    expect(guard.bound('a')).toBe('a');
    expect(guard.bound('b')).toBe('__unknown__');
    known.add('b');
    known.add('c');
    expect(guard.bound('b')).toBe('b');
    expect(guard.bound('c')).toBe('__unknown__'); // cap of 2 reached
    expect(guard.rejected).toBe(2);
  });

  it('treats an accept function that throws as a refusal', () => {
    const guard = createLabelGuard({
      accept: () => {
        throw new Error('registry down');
      },
    });
    expect(guard.bound('x')).toBe('__overflow__');
  });
});
