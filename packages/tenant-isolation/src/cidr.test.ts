import { CidrError, createIpAllowList, isValidCidr, normalizeIp, parseCidr } from './cidr';

describe('IPv4 allow-lists', () => {
  const list = createIpAllowList(['10.0.0.0/8', '192.168.1.0/24']);

  it('allows addresses inside the ranges and refuses the rest', () => {
    expect(list.allows('10.1.2.3')).toBe(true);
    expect(list.allows('10.255.255.255')).toBe(true);
    expect(list.allows('192.168.1.77')).toBe(true);
    expect(list.allows('11.0.0.0')).toBe(false);
    expect(list.allows('192.168.2.1')).toBe(false);
  });

  it('treats IPv4-mapped IPv6 addresses as the IPv4 address they carry', () => {
    expect(list.allows('::ffff:10.1.2.3')).toBe(true);
    expect(list.allows('::FFFF:10.1.2.3')).toBe(true);
    expect(list.allows('::ffff:0a01:0203')).toBe(true);
    expect(list.allows('0:0:0:0:0:ffff:10.1.2.3')).toBe(true);
    expect(list.allows('::ffff:11.1.2.3')).toBe(false);
    // IPv4-compatible (::a.b.c.d) is a different, deprecated form: not the IPv4 address.
    expect(list.allows('::10.1.2.3')).toBe(false);
  });

  it('matches exactly one address for /32 or a bare address', () => {
    const one = createIpAllowList(['203.0.113.7/32', '198.51.100.9']);
    expect(one.allows('203.0.113.7')).toBe(true);
    expect(one.allows('203.0.113.8')).toBe(false);
    expect(one.allows('198.51.100.9')).toBe(true);
    expect(one.allows('::ffff:198.51.100.9')).toBe(true);
    expect(one.cidrs).toEqual(['203.0.113.7/32', '198.51.100.9/32']);
  });

  it('allows every IPv4 address, and no IPv6 one, for 0.0.0.0/0', () => {
    const any4 = createIpAllowList(['0.0.0.0/0']);
    expect(any4.allows('0.0.0.0')).toBe(true);
    expect(any4.allows('255.255.255.255')).toBe(true);
    expect(any4.allows('::ffff:1.2.3.4')).toBe(true);
    expect(any4.allows('2001:db8::1')).toBe(false);
    expect(any4.allows('::1')).toBe(false);
  });
});

describe('IPv6 allow-lists', () => {
  it('allows addresses inside the prefix whatever their spelling', () => {
    const list = createIpAllowList(['2001:db8::/32']);
    expect(list.allows('2001:db8::1')).toBe(true);
    expect(list.allows('2001:DB8:ffff:ffff:ffff:ffff:ffff:ffff')).toBe(true);
    expect(list.allows('2001:0db8:0000:0000:0000:0000:0000:0001')).toBe(true);
    expect(list.allows('2001:db9::1')).toBe(false);
    expect(list.allows('10.0.0.1')).toBe(false);
  });

  it('matches exactly one address for /128', () => {
    const list = createIpAllowList(['2001:db8::42/128']);
    expect(list.allows('2001:db8::42')).toBe(true);
    expect(list.allows('2001:db8::43')).toBe(false);
  });

  it('allows every address, IPv4 included, for ::/0', () => {
    const any = createIpAllowList(['::/0']);
    expect(any.allows('2001:db8::1')).toBe(true);
    expect(any.allows('::')).toBe(true);
    expect(any.allows('10.0.0.1')).toBe(true);
  });

  it('ignores the zone id of a link-local address', () => {
    const list = createIpAllowList(['fe80::/10']);
    expect(list.allows('fe80::1%eth0')).toBe(true);
  });

  it('reads an IPv4-mapped range as the IPv4 range it covers', () => {
    const range = parseCidr('::ffff:10.0.0.0/104');
    expect(range).toMatchObject({ cidr: '10.0.0.0/8', family: 4, prefixLength: 8 });
    expect(range.contains('10.9.9.9')).toBe(true);
    expect(parseCidr('::ffff:0:0/96').cidr).toBe('0.0.0.0/0');
  });

  it('writes ranges in canonical form', () => {
    expect(parseCidr('2001:DB8:0:0::/32').cidr).toBe('2001:db8::/32');
    expect(parseCidr('2001:db8:0:0:1:0:0:0/96').cidr).toBe('2001:db8:0:0:1::/96');
    expect(parseCidr('::/0')).toMatchObject({ cidr: '::/0', family: 6, prefixLength: 0 });
    expect(parseCidr('::1')).toMatchObject({ cidr: '::1/128', family: 6, prefixLength: 128 });
  });
});

describe('bad CIDRs', () => {
  it.each([
    ['10.0.0.0/33', /prefix length must be 0-32 for IPv4/],
    ['2001:db8::/129', /prefix length must be 0-128 for IPv6/],
    ['10.0.0.0/', /prefix length after "\/" must be a number 0-32/],
    ['10.0.0.0/-1', /must be a number/],
    ['10.0.0.0/8/9', /must be a number/],
    ['10.0.0.0/abc', /must be a number/],
    ['10.0.0/8', /"10.0.0" is not an IPv4 or IPv6 address/],
    ['256.0.0.0/8', /is not an IPv4 or IPv6 address/],
    ['010.0.0.0/8', /is not an IPv4 or IPv6 address/],
    ['example.com/24', /is not an IPv4 or IPv6 address/],
    ['fe80::%eth0/64', /zone ids/],
    [' 10.0.0.0/8', /whitespace/],
    ['', /empty/],
  ])('rejects %j and says why', (text, why) => {
    expect(() => parseCidr(text)).toThrow(CidrError);
    expect(() => parseCidr(text)).toThrow(why);
    expect(isValidCidr(text)).toBe(false);
  });

  it('rejects host bits and suggests the network', () => {
    expect(() => parseCidr('10.1.2.3/8')).toThrow(
      /host bits are set; the network is 10\.0\.0\.0\/8 \(write that, or 10\.1\.2\.3\/32 for the one address\)/,
    );
    expect(() => parseCidr('2001:db8::1/32')).toThrow(/the network is 2001:db8::\/32/);
  });

  it('rejects non-strings', () => {
    expect(() => parseCidr(42)).toThrow(/expected a CIDR string/);
    expect(() => parseCidr(null)).toThrow(/^null: /);
  });

  it('names the bad entry of an allow-list', () => {
    expect(() => createIpAllowList(['10.0.0.0/8', '10.0.0.0/33'])).toThrow(
      /"10.0.0.0\/33": entry 1: prefix length must be 0-32/,
    );
  });
});

describe('garbage addresses', () => {
  it('are never allowed and never throw', () => {
    const list = createIpAllowList(['::/0']);
    for (const ip of [
      undefined,
      null,
      42,
      {},
      ['10.0.0.1'],
      '',
      'not-an-ip',
      '10.0.0.1 ',
      '10.0.0.1:80',
      '[::1]',
      '10.0.0.1/8',
      '1.2.3',
      '::ffff:1.2.3.4.5',
      'x'.repeat(1_000_000),
      '\u0000',
      '١٠.٠.٠.١',
    ]) {
      expect(list.allows(ip)).toBe(false);
    }
  });

  it('an empty allow-list allows nothing', () => {
    expect(createIpAllowList([]).allows('10.0.0.1')).toBe(false);
  });
});

describe('normalizeIp', () => {
  it('gives the canonical text of an address, or undefined', () => {
    expect(normalizeIp('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(normalizeIp('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(normalizeIp('fe80::1%eth0')).toBe('fe80::1');
    expect(normalizeIp('1:0:0:1:0:0:0:1')).toBe('1:0:0:1::1');
    expect(normalizeIp('1:2:3:4:5:6:7:8')).toBe('1:2:3:4:5:6:7:8');
    expect(normalizeIp('nope')).toBeUndefined();
  });
});
