// PromQL selectors in OpenSLO queries: the only query shape imported (the raw counter; the consumer rates it).

/** A parsed `metric{label="value", ...}` with equality matchers only. */
export interface Selector {
  readonly metric: string;
  readonly matchers: Readonly<Record<string, string>>;
}

const IDENT = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;
const LABEL = /[a-zA-Z_][a-zA-Z0-9_]*/y;
const SPACE = /\s*/y;

/**
 * The threshold of an `le=~"1|1\\.0"` matcher, which the generated rules write when Prometheus 3
 * spells a bound differently from the exporter: every alternative must be the same number.
 */
function leOfRegex(regex: string): string | undefined {
  const spellings = regex.split('|').map((s) => s.replace(/\\([.+])/g, '$1'));
  const first = spellings[0] as string;
  const value = Number(first);
  if (first === '' || !Number.isFinite(value)) return undefined;
  return spellings.every((s) => s !== '' && Number(s) === value) ? first : undefined;
}

/**
 * Parses a plain instant-vector selector with equality matchers (`x_total{code="500"}`,
 * `{__name__="x_total"}`). Returns a message saying what is wrong otherwise.
 */
export function parseSelector(query: string): Selector | string {
  const text = query.trim();
  let at = 0;
  const skip = (): void => {
    SPACE.lastIndex = at;
    SPACE.exec(text);
    at = SPACE.lastIndex;
  };
  const take = (re: RegExp): string | undefined => {
    re.lastIndex = at;
    const m = re.exec(text);
    if (m === null) return undefined;
    at = re.lastIndex;
    return m[0];
  };
  let metric = take(IDENT);
  skip();
  if (metric !== undefined && text[at] === '(') {
    return `"${text}" applies ${metric}(); give the plain counter selector (e.g. "x_total{code=\\"500\\"}"): with counter: true autoweave applies rate() and sum() itself`;
  }
  const matchers: Record<string, string> = {};
  if (text[at] === '{') {
    at++;
    for (;;) {
      skip();
      if (text[at] === '}') {
        at++;
        break;
      }
      const label = take(LABEL);
      if (label === undefined) return `"${text}": expected a label name at character ${at + 1}`;
      skip();
      const op = text.startsWith('=~', at)
        ? '=~'
        : text.startsWith('!=', at)
          ? '!='
          : text.startsWith('!~', at)
            ? '!~'
            : text[at] === '='
              ? '='
              : undefined;
      if (op === undefined) return `"${text}": expected =, !=, =~ or !~ after "${label}"`;
      if (op !== '=' && !(op === '=~' && label === 'le')) {
        return `"${text}" uses ${label}${op}...; only equality matchers (label="value") map onto an SLO's matchers`;
      }
      at += op.length;
      skip();
      const quote = text[at];
      if (quote !== '"' && quote !== "'" && quote !== '`') {
        return `"${text}": expected a quoted value after ${label}=`;
      }
      let value = '';
      let closed = false;
      for (at++; at < text.length; at++) {
        const ch = text[at] as string;
        if (ch === quote) {
          closed = true;
          at++;
          break;
        }
        if (ch === '\\' && quote !== '`') {
          const next = text[++at];
          value += next === 'n' ? '\n' : next === 't' ? '\t' : (next ?? '');
        } else value += ch;
      }
      if (!closed) return `"${text}": the value of ${label} is not closed with ${quote}`;
      if (Object.hasOwn(matchers, label)) return `"${text}" matches ${label} twice`;
      if (op === '=~') {
        const le = leOfRegex(value);
        if (le === undefined) {
          return `"${text}": le=~"${value}" is not a threshold; write le="<seconds>" (or its spellings, as in le=~"1|1\\.0")`;
        }
        value = le;
      }
      matchers[label] = value;
      skip();
      if (text[at] === ',') at++;
      else if (text[at] !== '}') return `"${text}": expected "," or "}" at character ${at + 1}`;
    }
    skip();
  }
  if (at < text.length) {
    const rest = text.slice(at);
    return rest.startsWith('[')
      ? `"${text}" has a range ${rest}; give the instant selector: with counter: true autoweave chooses the windows`
      : `"${text}" is not a plain counter selector such as x_total{code="500"} (found "${rest}"); functions, aggregations and arithmetic are not imported`;
  }
  if (Object.hasOwn(matchers, '__name__')) {
    if (metric !== undefined) return `"${text}" names the metric twice (also as __name__)`;
    metric = matchers['__name__'];
    delete matchers['__name__'];
  }
  if (metric === undefined || metric === '') {
    return `"${text}" does not name a metric; write e.g. x_total{code="500"}`;
  }
  return { metric, matchers };
}
