import { defineSlo, defineSlos } from './define';
import { DEFAULT_TIERS } from './define-tiers';
import { formatDuration } from './duration';
import { SloDefinitionError, formatProblem, type SloProblem } from './problems';
import type { AlertTierInput, SloInput } from './types';

const ratio: SloInput = {
  id: 'checkout-availability',
  service: 'checkout',
  description: 'Checkout answers without 5xx.',
  objective: 0.999,
  sli: {
    kind: 'ratio',
    total: { metric: 'autoweave_requests_total' },
    bad: { metric: 'autoweave_requests_total', matchers: { status_class: '5xx' } },
  },
};
const latency: SloInput = {
  id: 'usb-latency',
  service: 'usb-watcher',
  description: 'USB events within 80 ms.',
  objective: 0.95,
  sli: { kind: 'latency', histogram: 'autoweave_usb_event_duration_seconds', thresholdSeconds: 0.08 },
};

/** The problems defineSlo reports for `input`, as `path: message` lines. */
function problems(input: unknown): string[] {
  try {
    defineSlo(input as SloInput);
  } catch (err) {
    expect(err).toBeInstanceOf(SloDefinitionError);
    return (err as SloDefinitionError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('defineSlo accepted the input');
}

const tiers = (slo: { tiers: readonly { factor: string; threshold: string }[] }): string[][] =>
  slo.tiers.map((t) => [t.factor, t.threshold]);

describe('defineSlo: derived values', () => {
  it('derives the Workbook factors and exact thresholds for the default 30d window', () => {
    const slo = defineSlo(ratio);
    expect(slo.window).toBe('30d');
    expect(slo.windowMs).toBe(30 * 86_400_000);
    expect(slo.errorBudget).toBe('0.001');
    expect(tiers(slo)).toEqual([
      ['14.4', '0.0144'],
      ['6', '0.006'],
      ['3', '0.003'],
      ['1', '0.001'],
    ]);
    expect(slo.tiers.map((t) => [t.name, t.severity, t.shortWindow, t.longWindow])).toEqual([
      ['page-fast', 'page', '5m', '1h'],
      ['page-slow', 'page', '30m', '6h'],
      ['ticket-fast', 'ticket', '2h', '1d'],
      ['ticket-slow', 'ticket', '6h', '3d'],
    ]);
    expect(slo.tiers.map((t) => t.thresholdValue)).toEqual([0.0144, 0.006, 0.003, 0.001]);
    expect(slo.windows).toEqual(['5m', '30m', '1h', '2h', '6h', '1d', '3d', '30d']);
  });

  it('scales the factors to a 28d window, rounding the 3d tier to 12 significant digits', () => {
    const slo = defineSlo({ ...ratio, window: '28d' });
    expect(tiers(slo)).toEqual([
      ['13.44', '0.01344'],
      ['5.6', '0.0056'],
      ['2.8', '0.0028'],
      ['0.933333333333', '0.000933333333333'],
    ]);
    expect(slo.tiers[3]?.factorValue).toBe(0.933333333333);
    expect(slo.windows.at(-1)).toBe('28d');
  });

  it('scales the factors to a 7d window', () => {
    const slo = defineSlo({ ...latency, window: '7d' });
    expect(slo.errorBudget).toBe('0.05');
    expect(tiers(slo)).toEqual([
      ['3.36', '0.168'],
      ['1.4', '0.07'],
      ['0.7', '0.035'],
      ['0.233333333333', '0.01166666666665'],
    ]);
  });

  it('fills in defaults and returns a deeply frozen definition', () => {
    const slo = defineSlo(latency);
    expect(slo).toMatchObject({ groupBy: [], minEvents: 0, labels: {}, runbookUrl: undefined });
    expect(slo.tiers).toHaveLength(DEFAULT_TIERS.length);
    expect(Object.isFrozen(slo)).toBe(true);
    expect(Object.isFrozen(slo.tiers)).toBe(true);
    expect(Object.isFrozen(slo.tiers[0])).toBe(true);
    expect(Object.isFrozen(slo.sli)).toBe(true);
    expect(Object.isFrozen(slo.windows)).toBe(true);
    expect(Object.isFrozen(DEFAULT_TIERS[0])).toBe(true);
  });

  it('does not keep references to the caller’s objects', () => {
    const labels: Record<string, string> = { team: 'platform' };
    const matchers: Record<string, string> = { outcome: 'failure' };
    const groupBy = ['tenant_id'];
    const slo = defineSlo({
      ...ratio,
      labels,
      groupBy,
      sli: { kind: 'ratio', total: { metric: 'x_total' }, bad: { metric: 'x_total', matchers } },
    });
    labels.team = 'changed';
    matchers.outcome = 'changed';
    groupBy.push('route');
    expect(slo.labels).toEqual({ team: 'platform' });
    expect(slo.sli.kind === 'ratio' && slo.sli.bad?.matchers).toEqual({ outcome: 'failure' });
    expect(slo.groupBy).toEqual(['tenant_id']);
  });

  it('normalizes durations, so 60m and 1h name the same window', () => {
    const custom: AlertTierInput[] = [
      {
        name: 'fast',
        severity: 'page',
        shortWindow: '300s',
        longWindow: '60m',
        budgetPercent: 2,
        for: '120s',
      },
      { name: 'slow', severity: 'ticket', shortWindow: '1h', longWindow: '1w', budgetPercent: 25 },
    ];
    const slo = defineSlo({ ...ratio, window: '4w', tiers: custom });
    expect(slo.window).toBe('28d');
    expect(slo.tiers.map((t) => [t.shortWindow, t.longWindow, t.for])).toEqual([
      ['5m', '1h', '2m'],
      ['1h', '7d', undefined],
    ]);
    expect(slo.windows).toEqual(['5m', '1h', '7d', '28d']);
    expect(tiers(slo)).toEqual([
      ['13.44', '0.01344'],
      ['1', '0.001'],
    ]);
  });

  it('accepts its own output, recomputing what it derives, so a definition can be adjusted by spreading', () => {
    const base = defineSlo(ratio);
    const stricter = defineSlo({ ...base, objective: 0.9999, window: '28d' });
    expect(stricter.errorBudget).toBe('0.0001');
    expect(tiers(stricter)[0]).toEqual(['13.44', '0.001344']);
    expect(stricter.windows.at(-1)).toBe('28d');
    expect(defineSlo(base)).toEqual(base);
  });

  it('accepts an SLO with no alert tiers (recorded, never alerted)', () => {
    const slo = defineSlo({ ...ratio, window: '1h', tiers: [] });
    expect(slo.tiers).toEqual([]);
    expect(slo.windows).toEqual(['1h']);
  });

  it('keeps every option it was given', () => {
    const slo = defineSlo({
      ...ratio,
      groupBy: ['tenant_id', 'route'],
      minEvents: 20,
      labels: { team: 'payments', channel: '#oncall' },
      runbookUrl: 'https://runbooks.example.com/checkout',
    });
    expect(slo).toMatchObject({
      groupBy: ['tenant_id', 'route'],
      minEvents: 20,
      labels: { team: 'payments', channel: '#oncall' },
      runbookUrl: 'https://runbooks.example.com/checkout',
    });
  });

  it('reads an objective through its shortest text, however it was computed', () => {
    expect(defineSlo({ ...ratio, objective: 0.7 + 0.1, tiers: [] }).errorBudget).toBe('0.2000000000000001');
    expect(defineSlo({ ...ratio, objective: 0.9995 }).tiers[0]?.threshold).toBe('0.0072');
  });
});

describe('defineSlo: every problem, with its path and the fix', () => {
  it('rejects ids that cannot be an slo_id', () => {
    for (const id of ['Checkout', '-x', '', 'a_b', 'x'.repeat(64), 42]) {
      expect(problems({ ...ratio, id })).toEqual([
        expect.stringMatching(/^id: .* must match \^\[a-z0-9\]\[a-z0-9-\]\{0,62\}\$: lower case letters/),
      ]);
    }
    expect(() => defineSlo({ ...ratio, id: 'x'.repeat(63) })).not.toThrow();
  });

  it('rejects an objective outside (0, 1) and hints at a fraction for percentages', () => {
    expect(problems({ ...ratio, objective: 99.9 })).toEqual([
      'objective: must be a fraction strictly between 0 and 1, got 99.9; write a fraction, e.g. 0.999 for 99.9%',
    ]);
    for (const objective of [0, 1, -0.5, NaN, Infinity, '0.99']) {
      expect(problems({ ...ratio, objective })).toEqual([
        expect.stringMatching(
          /^objective: must be a fraction strictly between 0 and 1, got .*, e\.g\. 0\.999 for 99\.9%$/,
        ),
      ]);
    }
  });

  it('rejects a window that is not a duration or shorter than the longest tier', () => {
    expect(problems({ ...ratio, window: '30 days' })).toEqual([
      'window: "30 days" is not a Prometheus duration; write e.g. "5m", "1h", "30d" (units d h m s ms, largest first)',
    ]);
    expect(problems({ ...ratio, window: '0d' })).toEqual([
      'window: "0d" is zero; give a positive duration such as "5m"',
    ]);
    expect(problems({ ...ratio, window: '2d' })).toEqual([
      'window: "2d" is shorter than the 3d long window of default tier "ticket-slow"; use a window of at least 3d or give tiers with shorter windows',
    ]);
    const own: AlertTierInput[] = [
      { name: 'page', severity: 'page', shortWindow: '5m', longWindow: '1h', budgetPercent: 10 },
      { name: 'ticket', severity: 'ticket', shortWindow: '1h', longWindow: '12h', budgetPercent: 50 },
    ];
    expect(problems({ ...ratio, window: '6h', tiers: own })).toEqual([
      'window: "6h" is shorter than the 12h long window of tier "ticket"; use a window of at least 12h or shorten that tier',
    ]);
    expect(defineSlo({ ...ratio, window: '12h', tiers: own }).tiers.map((t) => t.factor)).toEqual([
      '1.2',
      '0.5',
    ]);
  });

  it('rejects broken tiers: short ≥ long, duplicate names, budget outside (0, 100], bad severity or for', () => {
    const bad = [
      { name: 'fast', severity: 'page', shortWindow: '1h', longWindow: '1h', budgetPercent: 2 },
      { name: 'fast', severity: 'urgent', shortWindow: '5m', longWindow: '1h', budgetPercent: 0 },
      {
        name: 'Slow Tier',
        severity: 'ticket',
        shortWindow: '5x',
        longWindow: '6h',
        budgetPercent: 101,
        for: 'soon',
      },
      { name: 'x', severity: 'ticket', shortWindow: '1m', longWindow: '2m', budgetPercent: 1, extra: true },
      'page-fast',
    ];
    expect(problems({ ...ratio, tiers: bad })).toEqual([
      'tiers[0].shortWindow: "1h" must be shorter than longWindow "1h" (the Workbook uses 1/12 of it)',
      'tiers[1].name: "fast" is already the name of tiers[0]; tier names must be unique',
      'tiers[1].severity: must be "page" or "ticket", got "urgent"',
      'tiers[1].budgetPercent: must be a percentage in (0, 100], got 0',
      'tiers[2].name: "Slow Tier" must be lower kebab case, e.g. "page-fast" (the slo_tier label)',
      'tiers[2].shortWindow: "5x" is not a Prometheus duration; write e.g. "5m", "1h", "30d" (units d h m s ms, largest first)',
      'tiers[2].budgetPercent: must be a percentage in (0, 100], got 101',
      'tiers[2].for: "soon" is not a Prometheus duration; write e.g. "5m", "1h", "30d" (units d h m s ms, largest first)',
      'tiers[3].extra: unknown field; known fields: name, severity, shortWindow, longWindow, budgetPercent, for',
      'tiers[4]: must be { name, severity, shortWindow, longWindow, budgetPercent }, got "page-fast"',
    ]);
    expect(problems({ ...ratio, tiers: 'default' })).toEqual([
      'tiers: must be an array of alert tiers (or left out for DEFAULT_TIERS), got "default"',
    ]);
  });

  it('rejects a tier that can never fire and says how to make it fire (Workbook: 90% with 14.4×)', () => {
    expect(problems({ ...ratio, objective: 0.9 })).toEqual([
      'tiers[0]: default tier "page-fast" can never fire: its threshold 14.4 × 0.1 = 1.44 is an error ratio of 100% or more. ' +
        'Use a burn-rate factor below 10 (budgetPercent below 1.388), an SLO window shorter than 20d20h, or an objective above 0.93056; ' +
        'to change it, give tiers explicitly (start from DEFAULT_TIERS)',
    ]);
    const own: AlertTierInput[] = [
      { name: 'all', severity: 'page', shortWindow: '5m', longWindow: '1h', budgetPercent: 100 },
    ];
    // A threshold of exactly 1 needs more than 100% of events to fail: it never fires either.
    expect(problems({ ...ratio, objective: 0.5, window: '2h', tiers: own })).toEqual([
      'tiers[0]: tier "all" can never fire: its threshold 2 × 0.5 = 1 is an error ratio of 100% or more. ' +
        'Use a burn-rate factor below 2 (budgetPercent below 100), an SLO window shorter than 2h, or an objective above 0.5',
    ]);
    // Following the advice works.
    expect(() =>
      defineSlo({ ...ratio, objective: 0.9, tiers: [{ ...DEFAULT_TIERS[0]!, budgetPercent: 1.388 }] }),
    ).not.toThrow();
    expect(() => defineSlo({ ...ratio, objective: 0.93056 })).not.toThrow();
    expect(() =>
      defineSlo({ ...ratio, objective: 0.9, window: '20d20h', tiers: DEFAULT_TIERS.slice(0, 1) }),
    ).toThrow('can never fire');
    expect(() =>
      defineSlo({ ...ratio, objective: 0.9, window: '20d19h59m', tiers: DEFAULT_TIERS.slice(0, 1) }),
    ).not.toThrow();
  });

  it('rejects bad minEvents, groupBy and routing labels', () => {
    expect(
      problems({
        ...ratio,
        minEvents: 2.5,
        groupBy: ['tenant_id', 'le', 'slo_id', '__name__', 'tenant_id', 'bad-label', 7],
        labels: { team: 'a', severity: 'critical', alertname: 'X', tenant_id: 'acme', owner: '' },
      }),
    ).toEqual([
      'groupBy[1]: "le" is reserved: the generated rules set it themselves (reserved: le, slo_id, slo_service, slo_window, slo_tier, severity)',
      'groupBy[2]: "slo_id" is reserved: the generated rules set it themselves (reserved: le, slo_id, slo_service, slo_window, slo_tier, severity)',
      'groupBy[3]: "__name__" starts with "__", which Prometheus reserves; rename the label',
      'groupBy[4]: "tenant_id" is listed twice; list it once',
      'groupBy[5]: "bad-label" is not a Prometheus label name; use [a-zA-Z_][a-zA-Z0-9_]*',
      'groupBy[6]: 7 is not a Prometheus label name; use [a-zA-Z_][a-zA-Z0-9_]*',
      'minEvents: must be a whole number of events >= 0 (0 turns the low-traffic guard off), got 2.5',
      'labels.severity: "severity" is reserved: the generated rules set it themselves (reserved: le, slo_id, slo_service, slo_window, slo_tier, severity, alertname)',
      'labels.alertname: "alertname" is reserved: the generated rules set it themselves (reserved: le, slo_id, slo_service, slo_window, slo_tier, severity, alertname)',
      'labels.tenant_id: "tenant_id" is also in groupBy, whose value it would overwrite; rename it',
      'labels.owner: must be a non-empty string, got ""',
    ]);
    expect(problems({ ...ratio, minEvents: -1, groupBy: 'tenant_id', labels: ['team'] })).toEqual([
      'groupBy: must be an array of label names, e.g. [\'tenant_id\'], got "tenant_id"',
      'minEvents: must be a whole number of events >= 0 (0 turns the low-traffic guard off), got -1',
      `labels: must be an object of routing label → value, e.g. { team: 'platform' }, got ["team"]`,
    ]);
  });

  it('rejects a runbook URL that is not http(s)', () => {
    for (const runbookUrl of ['runbooks/x.md', 'ftp://x/y', 'javascript:alert(1)', 'https://']) {
      expect(problems({ ...ratio, runbookUrl })).toEqual([
        `runbookUrl: ${JSON.stringify(runbookUrl)} must be an absolute http:// or https:// URL`,
      ]);
    }
    expect(() => defineSlo({ ...ratio, runbookUrl: 'http://wiki.local/slo#x' })).not.toThrow();
  });

  it('rejects ratio SLIs with both or neither of good/bad, bad counter names and matchers', () => {
    const base = { kind: 'ratio', total: { metric: 'autoweave_requests_total' } };
    expect(problems({ ...ratio, sli: base })).toEqual([
      'sli: give one of "good" or "bad" besides "total", e.g. bad: { metric, matchers: { outcome: "failure" } }',
    ]);
    expect(
      problems({
        ...ratio,
        sli: {
          ...base,
          good: { metric: 'a_total', matchers: { ok: 'y' } },
          bad: { metric: 'a_total', matchers: { ok: 'n' } },
        },
      }),
    ).toEqual(['sli: give only one of "good" and "bad": the other is total minus it']);
    expect(
      problems({
        ...ratio,
        sli: {
          kind: 'ratio',
          total: { metric: 'autoweave_requests', matchers: { le: '1', route: 3 } },
          bad: { metric: 'autoweave_requests_count', matcher: { a: 'b' } },
        },
      }),
    ).toEqual([
      'sli.total.metric: counter "autoweave_requests" must be named as exposed, ending in "_total" (e.g. "autoweave_requests_total")',
      'sli.total.matchers.le: remove it: the rules pick the le bucket from thresholdSeconds (and count all buckets for the total)',
      'sli.total.matchers.route: matcher value must be a string, got 3',
      'sli.bad.matcher: unknown field; did you mean "matchers"?',
      'sli.bad.metric: counter "autoweave_requests_count" must be named as exposed, ending in "_total" (e.g. "autoweave_requests_total")',
    ]);
    expect(problems({ ...ratio, sli: { ...base, bad: { metric: '9lives_total' }, total: 'x' } })).toEqual([
      'sli.total: must be { metric: \'<name>_total\', matchers?: {...} }, got "x"',
      'sli.bad.metric: "9lives_total" is not a Prometheus metric name; use [a-zA-Z_:][a-zA-Z0-9_:]*',
    ]);
  });

  it('lets matchers use any source label but le and __*, including names the rules reserve for output', () => {
    const logs = { metric: 'autoweave_log_lines_total' };
    expect(() =>
      defineSlo({
        ...ratio,
        sli: { kind: 'ratio', total: logs, bad: { ...logs, matchers: { severity: 'error' } } },
      }),
    ).not.toThrow();
    expect(
      problems({
        ...ratio,
        sli: { kind: 'ratio', total: logs, bad: { ...logs, matchers: { __name__: 'x' } } },
      }),
    ).toEqual([
      'sli.bad.matchers.__name__: "__name__" starts with "__", which Prometheus reserves; rename the label',
    ]);
  });

  it('rejects a good/bad selector that is the total itself (an SLI stuck at 100% or 0%)', () => {
    const total = { metric: 'autoweave_requests_total', matchers: { route: '/pay' } };
    expect(
      problems({ ...ratio, sli: { kind: 'ratio', total, bad: { ...total, matchers: { route: '/pay' } } } }),
    ).toEqual([
      "sli.bad: selects the same series as sli.total, so the SLI is always 0%; add matchers (e.g. { outcome: 'failure' })",
    ]);
    expect(problems({ ...ratio, sli: { kind: 'ratio', total, good: total } })).toEqual([
      "sli.good: selects the same series as sli.total, so the SLI is always 100%; add matchers (e.g. { outcome: 'success' })",
    ]);
  });

  it('rejects latency SLIs with a bad histogram name or threshold', () => {
    expect(
      problems({
        ...latency,
        sli: {
          kind: 'latency',
          histogram: 'autoweave_usb_event_duration_seconds_bucket',
          thresholdSeconds: 0,
        },
      }),
    ).toEqual([
      'sli.histogram: give the histogram\'s base name without "_bucket" ("autoweave_usb_event_duration_seconds"); the rules add _bucket and _count',
      'sli.thresholdSeconds: must be a finite number of seconds > 0 (80 ms is 0.08), got 0',
    ]);
    expect(
      problems({
        ...latency,
        sli: {
          kind: 'latency',
          histogram: 'autoweave_usb_event_duration_ms',
          thresholdSeconds: 80,
          matchers: { le: '0.08' },
        },
      }),
    ).toEqual([
      'sli.histogram: latency histogram "autoweave_usb_event_duration_ms" must be in seconds and end in "_seconds" (e.g. "autoweave_usb_event_duration_ms_seconds")',
      'sli.matchers.le: remove it: the rules pick the le bucket from thresholdSeconds (and count all buckets for the total)',
    ]);
    for (const thresholdSeconds of [NaN, Infinity, -0.08, '0.08']) {
      expect(problems({ ...latency, sli: { ...latency.sli, thresholdSeconds } })).toEqual([
        expect.stringMatching(/^sli\.thresholdSeconds: must be a finite number of seconds > 0/),
      ]);
    }
    expect(problems({ ...latency, sli: { kind: 'quantile' } })).toEqual([
      'sli.kind: must be "ratio" or "latency", got "quantile"',
    ]);
    expect(problems({ ...latency, sli: undefined })).toEqual([
      "sli: must be { kind: 'ratio', ... } or { kind: 'latency', ... }; got undefined",
    ]);
  });

  it('reports unknown fields with the closest known one, and missing strings', () => {
    expect(
      problems({
        ...ratio,
        objetive: 0.9,
        runbook: 'x',
        colour: 'red',
        service: ' ',
        description: undefined,
      }),
    ).toEqual([
      'objetive: unknown field; did you mean "objective"?',
      'runbook: unknown field; did you mean "runbookUrl"?',
      'colour: unknown field; known fields: id, service, description, objective, window, sli, groupBy, minEvents, labels, runbookUrl, tiers',
      'service: must be a non-empty string (the slo_service label, e.g. "checkout"), got " "',
      'description: must be a non-empty string (shown in alert annotations), got undefined',
    ]);
    expect(problems(null)).toEqual([': an SLO definition must be an object, got null']);
  });

  it('lists every problem at once in the error message, naming the SLO', () => {
    const err = (() => {
      try {
        defineSlo({ ...ratio, objective: 2, window: 'forever' });
      } catch (e) {
        return e as SloDefinitionError;
      }
      return undefined;
    })();
    expect(err?.name).toBe('SloDefinitionError');
    expect(err?.message).toBe(
      'Invalid SLO definition (2 problems):\n' +
        '  "checkout-availability" objective: must be a fraction strictly between 0 and 1, got 2; write a fraction, e.g. 0.02 for 2%\n' +
        '  "checkout-availability" window: "forever" is not a Prometheus duration; write e.g. "5m", "1h", "30d" (units d h m s ms, largest first)',
    );
    expect(Object.isFrozen(err?.problems)).toBe(true);
  });
});

describe('defineSlos', () => {
  it('returns the definitions in order, frozen', () => {
    const slos = defineSlos([ratio, latency]);
    expect(slos.map((s) => s.id)).toEqual(['checkout-availability', 'usb-latency']);
    expect(Object.isFrozen(slos)).toBe(true);
  });

  it('reports duplicate ids and the problems of every SLO together', () => {
    let caught: SloProblem[] = [];
    try {
      defineSlos([
        ratio,
        { ...latency, objective: 0 },
        { ...ratio, description: 'again' },
        'x' as unknown as SloInput,
      ]);
    } catch (err) {
      caught = [...(err as SloDefinitionError).problems];
    }
    expect(caught.map(formatProblem)).toEqual([
      '"usb-latency" objective: must be a fraction strictly between 0 and 1, got 0, e.g. 0.999 for 99.9%',
      '"checkout-availability" id: is also the id of SLO [0]; ids must be unique (they are the slo_id label)',
      '"[3]" an SLO definition must be an object, got "x"',
    ]);
  });

  it('rejects something that is not an array', () => {
    expect(() => defineSlos(ratio as unknown as SloInput[])).toThrow('expected an array of SLO definitions');
  });
});

describe('formatDuration', () => {
  it('writes the largest units first, weeks and years as days', () => {
    expect(
      [
        0,
        1,
        1000,
        90_000,
        3_600_000,
        5_400_000,
        86_400_000,
        7 * 86_400_000,
        365 * 86_400_000,
        90_061_001,
      ].map(formatDuration),
    ).toEqual(['0s', '1ms', '1s', '1m30s', '1h', '1h30m', '1d', '7d', '365d', '1d1h1m1s1ms']);
    expect(() => formatDuration(1.5)).toThrow('whole number');
  });
});
