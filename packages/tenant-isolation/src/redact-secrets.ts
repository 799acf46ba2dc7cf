// Detectors for secrets in free text: credentials named by their key (`password=…`, `Authorization: …`),
// and tokens recognisable by their shape (URL user:password, JWTs, vendor API keys, `Bearer …`).
import { normaliseName } from './redact-names';
import { isAlnum, type Splicer } from './redact-scan';
import { REDACTION_MASKS, type RedactionCounts } from './redact-types';

// Each alternative starts only where the previous character cannot continue the token, so every
// token is scanned once from its start and no input makes the scan quadratic.
const STRUCTURED =
  /:\/\/[^\s/?#@]{1,256}@|(?<![\w-])(?:eyJ[\w-]{8,}\.[\w-]{2,}\.[\w-]*|(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_\w{30,}|xox[baprs]-[A-Za-z0-9-]{10,}|A[KS]IA[0-9A-Z]{16}(?![A-Za-z0-9])|AIza[\w-]{35}|glpat-[\w-]{20,}|npm_[A-Za-z0-9]{36}|awk_[\w-]{20,})|(?<![A-Za-z0-9])(?:[Bb]earer|BEARER|[Bb]asic|BASIC)[ \t]+/g;
// A secret-looking name at the end of a key, then `=` or `:` (with optional quotes), e.g. `api_key=`,
// `"password": "`, `Authorization: `.
const KEY_VALUE =
  /(pass(?:wd|word|phrase)|secret|token|api[_.-]?key|access[_.-]?key|private[_.-]?key|authorization|cookie|credentials?|signature|session[_.-]?id)(["']?)[ \t]{0,3}[:=][ \t]{0,3}(["']?)/gi;
/** Values after `token:` and the like that are not secrets (and already-masked values). */
const NOT_SECRET_VALUES = new Set([
  '',
  'null',
  'undefined',
  'none',
  'true',
  'false',
  'nil',
  'n/a',
  '***',
  '*****',
]);
const ALREADY_MASKED = /^\[(?:redacted|filtered|hidden|masked|removed|sensitive|secret)\]/i;
/** Names ending in a secret word that are not secrets (pagination cursors). */
const NOT_SECRET_NAME_ENDINGS = ['pagetoken', 'nexttoken', 'continuationtoken', 'cursortoken'];
const AUTH_SCHEMES = /^(?:Bearer|Basic|Digest|Token|Negotiate|ApiKey|AWS4-HMAC-SHA256)$/i;

/** Masks the value of `password=…`, `token: …`, `Cookie: …` and the like. */
export function maskKeyValues(s: string, edit: Splicer, counts: RedactionCounts): string {
  const re = KEY_VALUE;
  re.lastIndex = 0;
  edit.reset(s);
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    const word = (m[1] ?? '').toLowerCase();
    if (endsWithNotSecretName(s, m.index + word.length)) continue;
    const valueStart = re.lastIndex;
    // Already masked, by us or by the application.
    if (ALREADY_MASKED.test(s.slice(valueStart, valueStart + 16))) continue;
    const valueEnd = secretValueEnd(s, valueStart, m[3] ?? '', word);
    if (valueEnd <= valueStart || isHarmlessValue(s.slice(valueStart, valueEnd))) continue;
    edit.replace(valueStart, valueEnd, REDACTION_MASKS.secret);
    counts.secret++;
    re.lastIndex = valueEnd;
  }
  return edit.result();
}

/** Masks URL user:password, JWTs, vendor API keys and `Bearer`/`Basic` credentials. */
export function maskStructured(s: string, edit: Splicer, counts: RedactionCounts): string {
  const re = STRUCTURED;
  re.lastIndex = 0;
  edit.reset(s);
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    const found = m[0];
    const start = m.index;
    const c0 = found.charCodeAt(0);
    if (c0 === 58 /* : */) {
      edit.replace(start, re.lastIndex, '://' + REDACTION_MASKS.secret + '@');
      counts.secret++;
    } else if (c0 === 101 /* e */ && found.startsWith('eyJ')) {
      edit.replace(start, re.lastIndex, REDACTION_MASKS.jwt);
      counts.jwt++;
    } else if (c0 === 66 || c0 === 98 /* B b */) {
      // `Bearer`/`Basic` and whitespace matched; the credential is the token after it, if it looks like one.
      const tokenStart = re.lastIndex;
      const tokenEnd = credentialEnd(s, tokenStart);
      if (!looksLikeCredential(s, tokenStart, tokenEnd)) continue;
      edit.replace(tokenStart, tokenEnd, REDACTION_MASKS.bearer);
      counts.bearer++;
      re.lastIndex = tokenEnd;
    } else {
      edit.replace(start, re.lastIndex, REDACTION_MASKS.api_key);
      counts.api_key++;
    }
  }
  return edit.result();
}

/** End of the credential after `Bearer ` / `Basic ` (token68 characters and `=` padding). */
function credentialEnd(s: string, start: number): number {
  const n = s.length;
  let i = start;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (isAlnum(c) || c === 45 || c === 46 || c === 95 || c === 126 || c === 43 || c === 47) i++;
    else break;
  }
  while (i < n && s.charCodeAt(i) === 61 /* = */) i++;
  return i;
}

/**
 * Whether the word after `Bearer`/`Basic` is a credential rather than prose ("bearer of news"):
 * at least 8 characters with a digit, or with both upper- and lowercase letters.
 */
function looksLikeCredential(s: string, start: number, end: number): boolean {
  if (end - start < 8) return false;
  let digit = false;
  let upper = false;
  let lower = false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) digit = true;
    else if (c >= 65 && c <= 90) upper = true;
    else if (c >= 97 && c <= 122) lower = true;
  }
  return digit || (upper && lower);
}

/** True when the name ending at `end` is a pagination cursor (`nextPageToken`), not a secret. */
function endsWithNotSecretName(s: string, end: number): boolean {
  let start = end;
  while (start > 0 && start > end - 64) {
    const c = s.charCodeAt(start - 1);
    if (isAlnum(c) || c === 95 || c === 45 || c === 46) start--;
    else break;
  }
  const name = normaliseName(s.slice(start, end));
  return NOT_SECRET_NAME_ENDINGS.some((ending) => name.endsWith(ending));
}

/**
 * End of the value after `name=` / `name: `: up to the closing quote when quoted; for cookies the
 * rest of the line (every cookie in it); for `Authorization` the scheme word and its credential;
 * otherwise up to whitespace or a delimiter (`&`, `,`, `;`, quotes, brackets).
 */
function secretValueEnd(s: string, start: number, quote: string, word: string): number {
  const n = s.length;
  if (quote !== '') {
    const q = quote.charCodeAt(0);
    const eol = lineEnd(s, start);
    for (let i = start; i < eol; i++) {
      const c = s.charCodeAt(i);
      if (c === 92 /* backslash */) i++;
      else if (c === q) return i;
    }
    return eol;
  }
  if (word.endsWith('cookie')) return lineEnd(s, start);
  if (s.charCodeAt(start) === 91 /* [ */) {
    const close = s.indexOf(']', start);
    const eol = lineEnd(s, start);
    return close === -1 || close > eol ? eol : close + 1;
  }
  let i = plainValueEnd(s, start);
  if (word === 'authorization' && AUTH_SCHEMES.test(s.slice(start, i))) {
    let j = i;
    while (j < n && (s.charCodeAt(j) === 32 || s.charCodeAt(j) === 9)) j++;
    if (j > i) i = plainValueEnd(s, j);
  }
  return i;
}

function plainValueEnd(s: string, start: number): number {
  const n = s.length;
  let i = start;
  while (i < n) {
    const c = s.charCodeAt(i);
    // whitespace " ' & , ; < > ) ] }
    if (
      c <= 32 ||
      c === 34 ||
      c === 39 ||
      c === 38 ||
      c === 44 ||
      c === 59 ||
      c === 60 ||
      c === 62 ||
      c === 41 ||
      c === 93 ||
      c === 125
    )
      break;
    i++;
  }
  return i;
}

function lineEnd(s: string, start: number): number {
  const n = s.indexOf('\n', start);
  const end = n === -1 ? s.length : n;
  return end > start && s.charCodeAt(end - 1) === 13 ? end - 1 : end;
}

function isHarmlessValue(value: string): boolean {
  return value.length <= 9 && NOT_SECRET_VALUES.has(value.toLowerCase());
}
