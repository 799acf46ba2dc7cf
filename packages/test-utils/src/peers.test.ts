import { inCaretRange } from './peers';

describe('inCaretRange', () => {
  it.each([
    ['6.0.0', '^6.0.0', true],
    ['6.7.0', '^6.0.0', true],
    ['7.0.0', '^6.0.0', false],
    ['5.9.9', '^6.0.0', false],
    ['16.9.0', '^16.10.0', false],
    ['16.10.0', '^16.10.0', true],
    ['5.2.2', '^5.2.3', false],
  ])('%s in %s: %s', (version, range, expected) => {
    expect(inCaretRange(version, range)).toBe(expected);
  });

  it('refuses ranges it cannot read rather than guessing', () => {
    expect(() => inCaretRange('1.0.0', '>=1')).toThrow('only ^x.y.z ranges');
    expect(() => inCaretRange('0.3.1', '^0.3.0')).toThrow('^0.x ranges');
    expect(() => inCaretRange('6.0.0-beta.1', '^6.0.0')).toThrow('not a plain x.y.z version');
  });
});
