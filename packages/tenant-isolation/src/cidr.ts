// CIDR allow-lists for IPv4 and IPv6. Every address lives in one 128-bit space with IPv4 as
// IPv4-mapped IPv6 (::ffff:a.b.c.d), so `::ffff:10.0.0.1` and `10.0.0.1` are the same client.
import { isIPv4, isIPv6 } from 'node:net';

const V4_MAPPED_PREFIX = 0xffffn << 32n;
const ALL_ONES = (1n << 128n) - 1n;
/** Longer text cannot be an address (the longest IPv6 form is 45 chars, plus a zone id). */
const MAX_ADDRESS_LENGTH = 100;

/** Thrown for a CIDR that cannot be used; says what is wrong and what to write instead. */
export class CidrError extends Error {
  override readonly name = 'CidrError';
  constructor(
    readonly value: unknown,
    readonly reason: string,
  ) {
    super(`${shown(value)}: ${reason}`);
  }
}

/** One parsed CIDR range. */
export interface CidrRange {
  /** Canonical text: IPv4-mapped ranges are written as IPv4 (`::ffff:10.0.0.0/104` → `10.0.0.0/8`). */
  readonly cidr: string;
  readonly family: 4 | 6;
  readonly prefixLength: number;
  /** Whether `ip` (any text) is inside the range. False for anything that is not an address. */
  contains(ip: unknown): boolean;
}

/** A set of CIDR ranges. */
export interface IpAllowList {
  /** Whether `ip` is inside one of the ranges. Never throws; false for garbage, empty lists allow nothing. */
  allows(ip: unknown): boolean;
  readonly cidrs: readonly string[];
}

interface ParsedIp {
  /** The address in the 128-bit space (IPv4 as ::ffff:a.b.c.d). */
  readonly bits: bigint;
}

/**
 * Parses `10.0.0.0/8`, `2001:db8::/32` or a bare address (`10.1.2.3` = `/32`, `::1` = `/128`).
 * Throws a {@link CidrError} for bad syntax, out-of-range prefixes, zone ids or host bits set.
 */
export function parseCidr(text: unknown): CidrRange {
  return compileCidr(text).range;
}

function compileCidr(text: unknown): { range: CidrRange; network: bigint; mask: bigint } {
  if (typeof text !== 'string') throw new CidrError(text, `expected a CIDR string such as "10.0.0.0/8"`);
  if (text.length === 0) throw new CidrError(text, 'it is empty; write a CIDR such as "10.0.0.0/8"');
  if (text.length > MAX_ADDRESS_LENGTH + 4) throw new CidrError(text, 'it is too long to be a CIDR');
  if (text.trim() !== text) throw new CidrError(text, 'remove the surrounding whitespace');
  const slash = text.indexOf('/');
  const addressText = slash === -1 ? text : text.slice(0, slash);
  const prefixText = slash === -1 ? undefined : text.slice(slash + 1);
  if (addressText.includes('%')) {
    throw new CidrError(text, 'zone ids (the "%eth0" part) are not allowed in CIDRs; remove it');
  }
  const ip = parseIp(addressText);
  if (ip === undefined) {
    throw new CidrError(text, `${shown(addressText)} is not an IPv4 or IPv6 address`);
  }
  const textFamily = isIPv4(addressText) ? 4 : 6;
  const max = textFamily === 4 ? 32 : 128;
  let prefix = max;
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText)) {
      throw new CidrError(text, `the prefix length after "/" must be a number 0-${max}`);
    }
    prefix = Number(prefixText);
    if (prefix > max) throw new CidrError(text, `prefix length must be 0-${max} for IPv${textFamily}`);
  }
  // Work in the 128-bit space: an IPv4 /p is the mapped /(p + 96).
  const wide = textFamily === 4 ? prefix + 96 : prefix;
  const mask = wide === 0 ? 0n : (ALL_ONES << BigInt(128 - wide)) & ALL_ONES;
  const network = ip.bits & mask;
  if (network !== ip.bits) {
    const fixed = formatRange(network, wide);
    throw new CidrError(
      text,
      `host bits are set; the network is ${fixed} (write that, or ${formatRange(ip.bits, 128)} for the one address)`,
    );
  }
  // A /96 or longer inside ::ffff:0:0/96 is an IPv4 range, whichever way it was written.
  const family = textFamily === 4 || (wide >= 96 && network >> 32n === 0xffffn) ? 4 : 6;
  const range: CidrRange = {
    cidr: formatRange(network, wide),
    family,
    prefixLength: family === 4 ? wide - 96 : wide,
    contains(candidate: unknown): boolean {
      const parsed = parseIp(candidate);
      return parsed !== undefined && (parsed.bits & mask) === network;
    },
  };
  return { range, network, mask };
}

/** True when `text` parses as a CIDR (or bare address). */
export function isValidCidr(text: unknown): boolean {
  try {
    parseCidr(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * An allow-list of CIDR ranges. Throws a {@link CidrError} naming the first bad entry. `::/0`
 * allows every address (IPv4 included); `0.0.0.0/0` every IPv4 address (mapped or not).
 */
export function createIpAllowList(cidrs: Iterable<string>): IpAllowList {
  const ranges: { network: bigint; mask: bigint }[] = [];
  const texts: string[] = [];
  let index = 0;
  for (const entry of cidrs) {
    let compiled: ReturnType<typeof compileCidr>;
    try {
      compiled = compileCidr(entry);
    } catch (error) {
      if (error instanceof CidrError) throw new CidrError(entry, `entry ${index}: ${error.reason}`);
      throw error;
    }
    index++;
    ranges.push({ network: compiled.network, mask: compiled.mask });
    texts.push(compiled.range.cidr);
  }
  return {
    allows(ip: unknown): boolean {
      if (ranges.length === 0) return false;
      const parsed = parseIp(ip);
      if (parsed === undefined) return false;
      return ranges.some((r) => (parsed.bits & r.mask) === r.network);
    },
    cidrs: texts,
  };
}

/**
 * The canonical text of an address (`::FFFF:10.1.2.3` → `10.1.2.3`, `2001:DB8:0:0::1` → `2001:db8::1`),
 * with any zone id dropped, or undefined when `ip` is not an address. Never throws.
 */
export function normalizeIp(ip: unknown): string | undefined {
  const parsed = parseIp(ip);
  return parsed === undefined ? undefined : formatAddress(parsed.bits);
}

function parseIp(value: unknown): ParsedIp | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ADDRESS_LENGTH) return undefined;
  if (isIPv4(value)) return { bits: V4_MAPPED_PREFIX | BigInt(v4Number(value)) };
  if (!isIPv6(value)) return undefined;
  const zone = value.indexOf('%');
  const bits = v6Bits(zone === -1 ? value : value.slice(0, zone));
  return bits === undefined ? undefined : { bits };
}

function v4Number(text: string): number {
  return text.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

/** The 128-bit value of an IPv6 address already accepted by `isIPv6` (without zone). */
function v6Bits(text: string): bigint | undefined {
  const toGroups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const groups: number[] = [];
    for (const piece of part.split(':')) {
      if (piece.includes('.')) {
        if (!isIPv4(piece)) return undefined;
        const n = v4Number(piece);
        groups.push(Math.floor(n / 65536), n % 65536);
      } else {
        groups.push(parseInt(piece, 16));
      }
    }
    return groups;
  };
  const doubleColon = text.indexOf('::');
  let groups: number[];
  if (doubleColon === -1) {
    const all = toGroups(text);
    if (all === undefined) return undefined;
    groups = all;
  } else {
    const head = toGroups(text.slice(0, doubleColon));
    const tail = toGroups(text.slice(doubleColon + 2));
    if (head === undefined || tail === undefined) return undefined;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  if (groups.length !== 8 || groups.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff))
    return undefined;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

function formatRange(network: bigint, wide: number): string {
  const isV4 = wide >= 96 && network >> 32n === 0xffffn;
  return `${formatAddress(network)}/${isV4 ? wide - 96 : wide}`;
}

function formatAddress(bits: bigint): string {
  if (bits >> 32n === 0xffffn) {
    const n = Number(bits & 0xffffffffn);
    return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((bits >> BigInt(i * 16)) & 0xffffn));
  // RFC 5952: compress the longest run of two or more zero groups (the first if tied).
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

function shown(value: unknown): string {
  if (typeof value !== 'string') return value === null ? 'null' : typeof value;
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
}
