import { isLuhnValid, isPlausibleCardNumber } from './luhn';

// Published test numbers of the card networks (Stripe/Adyen test cards).
const TEST_CARDS = {
  visa: '4111111111111111',
  visa13: '4222222222222',
  visa19: '4111111111111111110',
  mastercard: '5555555555554444',
  mastercard2Series: '2223003122003222',
  amex: '378282246310005',
  discover: '6011111111111117',
  diners: '30569309025904',
  jcb: '3530111333300000',
  unionpay: '6200000000000005',
  maestro: '6759649826438453',
};

describe('isLuhnValid', () => {
  it('accepts every network test card number', () => {
    for (const number of Object.values(TEST_CARDS)) expect(isLuhnValid(number)).toBe(true);
  });

  it('rejects the same numbers with the check digit changed', () => {
    for (const number of Object.values(TEST_CARDS)) {
      const last = Number(number.at(-1));
      expect(isLuhnValid(number.slice(0, -1) + String((last + 1) % 10))).toBe(false);
    }
  });

  it('skips single spaces and dashes between groups', () => {
    expect(isLuhnValid('4111 1111 1111 1111')).toBe(true);
    expect(isLuhnValid('4111-1111-1111-1111')).toBe(true);
    expect(isLuhnValid('4111-1111-1111-1112')).toBe(false);
  });

  it('is false for letters, other punctuation and empty input', () => {
    expect(isLuhnValid('4111a111111111111')).toBe(false);
    expect(isLuhnValid('4111.1111.1111.1111')).toBe(false);
    expect(isLuhnValid('')).toBe(false);
    expect(isLuhnValid('   ')).toBe(false);
  });

  it('checks only the given range of a longer string', () => {
    const text = 'card=4111111111111111;';
    expect(isLuhnValid(text, 5, 21)).toBe(true);
    expect(isLuhnValid(text, 5, 20)).toBe(false);
  });
});

describe('isPlausibleCardNumber', () => {
  it('accepts each network at its lengths', () => {
    for (const number of Object.values(TEST_CARDS)) expect(isPlausibleCardNumber(number)).toBe(true);
  });

  it('rejects Luhn-valid numbers with no card network prefix (ids, timestamps)', () => {
    for (const number of ['1234567812345670', '7000000000000005', '8000000000000003', '9000000000000001']) {
      expect(isLuhnValid(number)).toBe(true);
      expect(isPlausibleCardNumber(number)).toBe(false);
    }
  });

  it('rejects lengths the network does not issue', () => {
    // Luhn-valid, but Visa is 13, 16 or 19 digits, Amex 15, Mastercard 51-55 16.
    expect(isLuhnValid('411111111111111118')).toBe(true);
    expect(isPlausibleCardNumber('411111111111111118')).toBe(false);
    expect(isLuhnValid('3411111111111110')).toBe(true);
    expect(isPlausibleCardNumber('3411111111111110')).toBe(false);
    expect(isLuhnValid('34111111111113')).toBe(true);
    expect(isPlausibleCardNumber('34111111111113')).toBe(false);
  });

  it('rejects numbers that fail Luhn, are too short or too long', () => {
    expect(isPlausibleCardNumber('4111111111111112')).toBe(false);
    expect(isPlausibleCardNumber('411111111111')).toBe(false);
    expect(isPlausibleCardNumber('41111111111111111111')).toBe(false);
  });
});
