// Payment card number checks (Luhn checksum and issuer prefixes), so the redactor masks card
// numbers without masking every long number in a log line.

/**
 * True when the digits of `text[start, end)` pass the Luhn (mod 10) check. Single spaces and dashes
 * between digits are skipped; any other character, or no digit at all, makes it false.
 */
export function isLuhnValid(text: string, start = 0, end = text.length): boolean {
  let sum = 0;
  let digits = 0;
  // Walk from the right: every second digit, counting from the check digit, is doubled.
  for (let i = end - 1; i >= start; i--) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 45) continue;
    const d = c - 48;
    if (d < 0 || d > 9) return false;
    if ((digits & 1) === 1) sum += d < 5 ? d * 2 : d * 2 - 9;
    else sum += d;
    digits++;
  }
  return digits > 0 && sum % 10 === 0;
}

/**
 * True when `digits` (digits only) could be a payment card number: 13–19 digits, an issuer prefix
 * that card networks use (Visa 4, Mastercard 51–55 and 2221–2720, Amex 34/37, Diners/JCB 30/35/36/38/39,
 * Discover, UnionPay and Maestro 5x/6x) with a length that network issues, and a valid Luhn digit.
 * The prefix rule keeps order numbers and snowflake ids starting 1, 7, 8 or 9 from being masked
 * just because one in ten random numbers passes Luhn.
 */
export function isPlausibleCardNumber(digits: string): boolean {
  const n = digits.length;
  if (n < 13 || n > 19) return false;
  const d0 = digits.charCodeAt(0) - 48;
  const d1 = digits.charCodeAt(1) - 48;
  switch (d0) {
    case 2: {
      // Mastercard 2-series: 2221–2720, 16 digits.
      const p4 = Number(digits.slice(0, 4));
      if (n !== 16 || p4 < 2221 || p4 > 2720) return false;
      break;
    }
    case 3:
      if (d1 === 4 || d1 === 7) {
        if (n !== 15) return false;
      } else if (d1 === 0 || d1 === 5 || d1 === 6 || d1 === 8 || d1 === 9) {
        if (n < 14) return false;
      } else return false;
      break;
    case 4:
      if (n !== 13 && n !== 16 && n !== 19) return false;
      break;
    case 5:
      // Mastercard 51–55 is always 16 digits; 50 and 56–59 are Maestro (13–19).
      if (d1 >= 1 && d1 <= 5 && n !== 16) return false;
      break;
    case 6:
      // Discover, UnionPay, Maestro: 13–19.
      break;
    default:
      return false;
  }
  return isLuhnValid(digits);
}
