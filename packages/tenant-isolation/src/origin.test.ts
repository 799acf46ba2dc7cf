import { OriginPatternError, createOriginPolicy, parseOriginPattern } from './origin';

describe('exact origins', () => {
  const policy = createOriginPolicy(['https://app.example.com', 'http://localhost:3000']);

  it('allows the listed origins', () => {
    expect(policy.allows('https://app.example.com')).toBe(true);
    expect(policy.allows('http://localhost:3000')).toBe(true);
  });

  it('requires the scheme and port to match', () => {
    expect(policy.allows('http://app.example.com')).toBe(false);
    expect(policy.allows('https://app.example.com:8443')).toBe(false);
    expect(policy.allows('http://localhost')).toBe(false);
    expect(policy.allows('http://localhost:3001')).toBe(false);
    expect(policy.allows('https://localhost:3000')).toBe(false);
  });

  it('treats the default port as no port, and case as browsers do', () => {
    expect(policy.allows('https://app.example.com:443')).toBe(true);
    expect(policy.allows('HTTPS://APP.Example.COM')).toBe(true);
    expect(createOriginPolicy(['https://app.example.com:443']).origins).toEqual(['https://app.example.com']);
  });

  it('refuses other sites that merely contain the name', () => {
    expect(policy.allows('https://app.example.com.evil.test')).toBe(false);
    expect(policy.allows('https://evil-app.example.com')).toBe(false);
    expect(policy.allows('https://sub.app.example.com')).toBe(false);
  });

  it('refuses anything that is not one serialised origin', () => {
    for (const origin of [
      undefined,
      null,
      42,
      ['https://app.example.com'],
      '',
      'https://app.example.com/',
      'https://app.example.com/path',
      'https://app.example.com ',
      ' https://app.example.com',
      'https://user@app.example.com',
      'https://app.example.com#x',
      'https://app.example.com.',
      'https://app.example.com:0',
      'https://app.example.com:65536',
      'app.example.com',
      'https://app.example.com\r\nX-Evil: 1',
      'https://app.exam\u0000ple.com',
      `https://${'a'.repeat(5000)}.example.com`,
    ]) {
      expect(policy.allows(origin)).toBe(false);
    }
  });
});

describe('wildcard origins', () => {
  const policy = createOriginPolicy(['https://*.example.com']);

  it('allows any subdomain, at any depth', () => {
    expect(policy.allows('https://a.example.com')).toBe(true);
    expect(policy.allows('https://a.b.example.com')).toBe(true);
    expect(policy.allows('https://A.Example.com')).toBe(true);
  });

  it('does not allow the apex or look-alike domains', () => {
    expect(policy.allows('https://example.com')).toBe(false);
    expect(policy.allows('https://evilexample.com')).toBe(false);
    expect(policy.allows('https://a.example.com.evil.test')).toBe(false);
    expect(policy.allows('https://.example.com')).toBe(false);
    expect(policy.allows('https://a..example.com')).toBe(false);
  });

  it('requires the scheme and port to match', () => {
    expect(policy.allows('http://a.example.com')).toBe(false);
    expect(policy.allows('https://a.example.com:8443')).toBe(false);
    const onPort = createOriginPolicy(['https://*.example.com:8443']);
    expect(onPort.allows('https://a.example.com:8443')).toBe(true);
    expect(onPort.allows('https://a.example.com')).toBe(false);
  });
});

describe('special origins', () => {
  it('allows the null origin only when "null" is listed', () => {
    expect(createOriginPolicy(['https://app.example.com']).allows('null')).toBe(false);
    expect(createOriginPolicy(['*']).allows('null')).toBe(false);
    expect(createOriginPolicy(['null']).allows('null')).toBe(true);
    expect(createOriginPolicy(['null']).allows('https://app.example.com')).toBe(false);
  });

  it('allows any well-formed origin for "*"', () => {
    const any = createOriginPolicy(['*']);
    expect(any.allows('https://whatever.test:1234')).toBe(true);
    expect(any.allows('not an origin')).toBe(false);
  });

  it('an empty list allows no origin', () => {
    expect(createOriginPolicy([]).allows('https://app.example.com')).toBe(false);
  });

  it('compares internationalised names in punycode, as browsers send them', () => {
    const policy = createOriginPolicy(['https://bücher.example']);
    expect(policy.origins).toEqual(['https://xn--bcher-kva.example']);
    expect(policy.allows('https://xn--bcher-kva.example')).toBe(true);
  });

  it('handles IPv6 literal hosts', () => {
    const policy = createOriginPolicy(['http://[::1]:3000', 'http://[2001:DB8:0::1]']);
    expect(policy.origins).toEqual(['http://[::1]:3000', 'http://[2001:db8::1]']);
    expect(policy.allows('http://[::1]:3000')).toBe(true);
    expect(policy.allows('http://[0:0:0:0:0:0:0:1]:3000')).toBe(true);
    expect(policy.allows('http://[2001:db8::1]')).toBe(true);
    expect(policy.allows('http://[::1]')).toBe(false);
  });
});

describe('bad origin patterns', () => {
  it.each([
    ['app.example.com', /write scheme:\/\/host\[:port\]/],
    [
      'https://app.example.com/',
      /no path, query or fragment; remove "\/" and write "https:\/\/app.example.com"/,
    ],
    ['https://app.example.com/app?x=1', /no path/],
    ['https://user@app.example.com', /no user info/],
    ['https://app.example.com:99999', /must be 1-65535/],
    ['https://app.example.com:http', /must be a number/],
    ['https://*.com', /every site under a top-level domain/],
    ['https://app.*.example.com', /only a leading "\*\." wildcard/],
    ['https://*example.com', /only a leading "\*\." wildcard/],
    ['https://*.10.0.0.1', /needs a domain name/],
    ['https://exa mple.com', /is not a valid host/],
    ['https://[::1', /is not a valid host/],
    ['https://', /is not a valid host/],
    ['', /empty/],
    [' https://app.example.com', /whitespace/],
  ])('rejects %j and says what to write', (pattern, why) => {
    expect(() => parseOriginPattern(pattern)).toThrow(OriginPatternError);
    expect(() => parseOriginPattern(pattern)).toThrow(why);
  });

  it('names the bad entry of a policy', () => {
    expect(() => createOriginPolicy(['https://ok.example', 'ftp//nope'])).toThrow(/"ftp\/\/nope": entry 1: /);
  });

  it('rejects non-strings', () => {
    expect(() => parseOriginPattern(7)).toThrow(/expected an origin string/);
  });
});
