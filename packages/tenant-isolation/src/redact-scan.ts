// What the string scans share: rebuilding a string around the ranges they mask, and the character
// classes they test with.

/**
 * Rebuilds a string with ranges replaced, left to right, without copying anything when nothing was
 * replaced. Reused across scans (`reset`) so redacting a clean line allocates nothing here.
 */
export class Splicer {
  private s = '';
  private out = '';
  /** End of the last replaced range: nothing before it may be replaced again. */
  last = 0;

  reset(s: string): this {
    this.s = s;
    this.out = '';
    this.last = 0;
    return this;
  }

  replace(start: number, end: number, mask: string): void {
    this.out += this.s.slice(this.last, start) + mask;
    this.last = end;
  }

  result(): string {
    return this.last === 0 ? this.s : this.out + this.s.slice(this.last);
  }
}

export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

export function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}
