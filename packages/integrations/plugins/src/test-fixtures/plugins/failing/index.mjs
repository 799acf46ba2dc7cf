// Test fixture: always throws, synchronously (the loader must turn it into a rejection).
export function execute(input) {
  throw new RangeError(`cannot handle ${JSON.stringify(input)}`);
}
