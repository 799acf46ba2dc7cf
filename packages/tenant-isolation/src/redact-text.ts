// String masking: runs every detector over one string, cutting overlong strings first so the scans
// and what they return stay bounded.
import { maskCards, maskEmails, maskIpAddresses } from './redact-pii';
import { isDigit, Splicer } from './redact-scan';
import { maskKeyValues, maskStructured } from './redact-secrets';
import { REDACTION_MASKS, type RedactionCounts } from './redact-types';

const CLIP_DELIMITERS = ',;"\'<>()[]{}&';

/**
 * `value` with every finding masked (IPs only when `maskIps`), counted in `counts`. Strings longer
 * than `maxStringLength` are cut at a boundary and end in the truncation mark.
 */
export function createTextMasker(
  maxStringLength: number,
  counts: RedactionCounts,
): (value: string, maskIps: boolean) => string {
  // One per redactor: the scans run one at a time and never nest, so they can share it.
  const splicer = new Splicer();

  return (value: string, maskIps: boolean): string => {
    let s = value;
    let clipped = false;
    if (s.length > maxStringLength) {
      s = clipAtBoundary(s, maxStringLength);
      clipped = true;
      counts.truncated++;
    }
    if (s.length >= 6) {
      // Named secrets first, so `Authorization: Bearer …` is masked whole, scheme included.
      s = maskKeyValues(s, splicer, counts);
      s = maskStructured(s, splicer, counts);
      if (s.indexOf('@') !== -1) s = maskEmails(s, splicer, counts);
      if (s.length >= 13) s = maskCards(s, splicer, counts);
    }
    if (maskIps && s.length >= 2) s = maskIpAddresses(s, splicer, counts);
    return clipped ? s + REDACTION_MASKS.truncated : s;
  };
}

/**
 * Cuts `s` to at most `limit` characters where no secret can straddle the cut: at the last whitespace
 * not between two digits (a spaced card number is kept or dropped whole), else at the last delimiter,
 * looking back at most 512 characters; a single longer token is cut hard.
 */
function clipAtBoundary(s: string, limit: number): string {
  const floor = Math.max(1, limit - 512);
  for (let i = limit; i >= floor; i--) {
    const c = s.charCodeAt(i);
    if (
      (c === 32 || c === 9 || c === 10 || c === 13) &&
      !(isDigit(s.charCodeAt(i - 1)) && isDigit(s.charCodeAt(i + 1)))
    ) {
      return s.slice(0, i);
    }
  }
  for (let i = limit; i >= floor; i--) {
    if (CLIP_DELIMITERS.includes(s[i]!)) return s.slice(0, i);
  }
  return s.slice(0, limit);
}
