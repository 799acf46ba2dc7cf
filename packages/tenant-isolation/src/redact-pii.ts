// Detectors for personal data in free text: e-mail addresses, payment card numbers and IP addresses.
import { isIPv6 } from 'node:net';
import { isPlausibleCardNumber } from './luhn';
import { isAlnum, isDigit, type Splicer } from './redact-scan';
import { REDACTION_MASKS, type RedactionCounts } from './redact-types';

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
// IPv6 candidates (validated with net.isIPv6, so `12:30:45` and MAC addresses stay) or dotted quads
// with octets up to 255, not preceded by a letter or dot (`v1.2.3.4` stays) nor followed by `.digit`.
const IP_ADDRESS = new RegExp(
  `(?<![\\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\\.\\d{1,3}){0,3}(?![\\w:]|\\.\\d)|(?<![\\w.])(?:${OCTET}\\.){3}${OCTET}(?!\\w|\\.\\d)`,
  'g',
);
// Digit sequences that could hold a card: one run of 13+ digits, or a 4-digit group followed by
// groups of 3–6 joined by single spaces or dashes; not inside a longer word or number.
const CARD_CANDIDATE = /\b\d{4}(?:\d{9,}|(?:[ -]\d{3,6})+)\b/g;

/** Masks e-mail addresses. */
export function maskEmails(s: string, edit: Splicer, counts: RedactionCounts): string {
  edit.reset(s);
  let at = s.indexOf('@');
  while (at !== -1) {
    let a = at;
    while (a > edit.last && isLocalPartChar(s.charCodeAt(a - 1))) a--;
    while (a < at && s.charCodeAt(a) === 46 /* . */) a++;
    const b = emailDomainEnd(s, at + 1);
    if (a < at && b > at + 1) {
      edit.replace(a, b, REDACTION_MASKS.email);
      counts.email++;
      at = s.indexOf('@', b);
    } else at = s.indexOf('@', at + 1);
  }
  return edit.result();
}

/** Masks payment card numbers: issuer prefix, length and Luhn check, spaced or dashed as printed. */
export function maskCards(s: string, edit: Splicer, counts: RedactionCounts): string {
  const re = CARD_CANDIDATE;
  re.lastIndex = 0;
  edit.reset(s);
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    const start = m.index;
    const end = re.lastIndex;
    // Fewer than 13 characters cannot hold 13 digits (`2024-118842`).
    if (end - start < 13) continue;
    // `1.4111…` and `4111….5` are decimals, not cards.
    if (start >= 2 && isDecimalPoint(s.charCodeAt(start - 1)) && isDigit(s.charCodeAt(start - 2))) continue;
    if (end + 1 < s.length && isDecimalPoint(s.charCodeAt(end)) && isDigit(s.charCodeAt(end + 1))) continue;
    const runs = digitRuns(s, start, end);
    const groups = runs.length / 2;
    for (let g = 0; g < groups;) {
      const matchEnd = cardAt(s, runs, g, groups);
      if (matchEnd === -1) {
        g++;
        continue;
      }
      edit.replace(runs[2 * g]!, runs[2 * matchEnd + 1]!, REDACTION_MASKS.card);
      counts.card++;
      g = matchEnd + 1;
    }
  }
  return edit.result();
}

/** Masks IPv4 and IPv6 addresses. */
export function maskIpAddresses(s: string, edit: Splicer, counts: RedactionCounts): string {
  const re = IP_ADDRESS;
  re.lastIndex = 0;
  edit.reset(s);
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    const found = m[0];
    if (found.length === 0) {
      re.lastIndex++;
      continue;
    }
    if (found.includes(':') && !(isIPv6(found) && /[0-9A-Fa-f]/.test(found))) continue;
    edit.replace(m.index, re.lastIndex, REDACTION_MASKS.ip);
    counts.ip++;
  }
  return edit.result();
}

function isDecimalPoint(c: number): boolean {
  return c === 46 || c === 44;
}

/** [start, end) of each digit run in `s[from, to)` (runs separated by one space or dash), flattened. */
function digitRuns(s: string, from: number, to: number): number[] {
  const runs: number[] = [from];
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 45) runs.push(i, i + 1);
  }
  runs.push(to);
  return runs;
}

/**
 * The group index the card starting at group `g` ends at, or -1. A card is one run of 13–19 digits,
 * or groups of 3–6 digits (the first of 4, as cards are printed: 4-4-4-4, 4-6-5, 4-4-4-4-3) adding
 * up to 13–19; the longest plausible one wins.
 */
function cardAt(s: string, runs: readonly number[], g: number, groups: number): number {
  const start = runs[2 * g]!;
  const firstLength = runs[2 * g + 1]! - start;
  if (firstLength >= 13 && firstLength <= 19) {
    return isPlausibleCardNumber(s.slice(start, start + firstLength)) ? g : -1;
  }
  if (firstLength !== 4) return -1;
  let digits = s.slice(start, start + 4);
  let best = -1;
  for (let k = g + 1; k < groups; k++) {
    const length = runs[2 * k + 1]! - runs[2 * k]!;
    if (length < 3 || length > 6) break;
    digits += s.slice(runs[2 * k], runs[2 * k + 1]);
    if (digits.length > 19) break;
    if (digits.length >= 13 && isPlausibleCardNumber(digits)) best = k;
  }
  return best;
}

function isLocalPartChar(c: number): boolean {
  // RFC-practical: letters, digits and . _ % + -
  return isAlnum(c) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45;
}

/** End of the domain of an address whose `@` is just before `start`, or `start` if it is not one. */
function emailDomainEnd(s: string, start: number): number {
  const n = s.length;
  let i = start;
  let lastDot = -1;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === 46) lastDot = i;
    else if (!isAlnum(c) && c !== 45) break;
    i++;
  }
  // Trailing dots and dashes end the sentence, not the domain.
  while (i > start && (s.charCodeAt(i - 1) === 46 || s.charCodeAt(i - 1) === 45)) i--;
  if (lastDot >= i - 1) lastDot = s.lastIndexOf('.', i - 1);
  if (lastDot <= start || !isAlnum(s.charCodeAt(start)) || i - lastDot - 1 < 2) return start;
  // The top-level domain is letters only (`lodash@4.17.21` is a package, not an address).
  for (let k = lastDot + 1; k < i; k++) {
    const c = s.charCodeAt(k) | 32;
    if (c < 97 || c > 122) return start;
  }
  // `icon@2x.png`: an image density suffix, not an address.
  let k = start;
  while (k < i && isDigit(s.charCodeAt(k))) k++;
  if (k > start && s.charCodeAt(k) === 120 /* x */ && s.charCodeAt(k + 1) === 46) return start;
  return i;
}
