import { parse } from 'yaml';
import {
  RetentionPolicyError,
  formatRetention,
  parsePrometheusDuration,
  parseRetentionDuration,
  renderRetentionOverrides,
  retentionOverridesYaml,
} from './retention';

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(RetentionPolicyError);
    return (error as RetentionPolicyError).problems;
  }
  throw new Error('expected a RetentionPolicyError');
}

describe('retention durations', () => {
  it('parses Prometheus durations and prints them in whole hours where it can', () => {
    expect(parseRetentionDuration('744h')).toBe(744 * 3_600_000);
    expect(parseRetentionDuration('31d')).toBe(744 * 3_600_000);
    expect(parseRetentionDuration('1y2w')).toBe((365 + 14) * 86_400_000);
    expect(formatRetention(parseRetentionDuration('30d'))).toBe('720h');
    expect(formatRetention(parseRetentionDuration('90m'))).toBe('90m');
    expect(formatRetention(0)).toBe('0s');
  });

  it('rejects durations the backends would not read, naming the field', () => {
    for (const bad of ['', '30 days', '1h30d', '-5h', '1.5h', 'P30D', '30']) {
      expect(() => parseRetentionDuration(bad, 'tenants[0].retention.logs')).toThrow(
        /tenants\[0\]\.retention\.logs/,
      );
    }
  });
});

describe('renderRetentionOverrides', () => {
  const tenants = [
    {
      id: 'acme',
      retention: {
        traces: '14d',
        logs: '31d',
        metrics: '1y',
        logStreams: [{ selector: '{namespace="debug"}', period: '24h', priority: 2 }],
      },
    },
    { id: 'globex', orgId: 'globex-prod', retention: { logs: '7d' } },
    { id: 'initech' },
  ];

  it('renders Loki, Tempo and Mimir overrides keyed by X-Scope-OrgID', () => {
    const out = renderRetentionOverrides(tenants);
    expect(out.loki.overrides).toEqual({
      acme: {
        retention_period: '744h',
        retention_stream: [{ selector: '{namespace="debug"}', priority: 2, period: '24h' }],
      },
      'globex-prod': { retention_period: '168h' },
    });
    expect(out.tempo.overrides).toEqual({ acme: { compaction: { block_retention: '336h' } } });
    expect(out.mimir.overrides).toEqual({ acme: { compactor_blocks_retention_period: '8760h' } });
    expect(out.prometheus.retentionTime).toBe('8760h');
  });

  it('fills unset signals from the defaults, and tenants without any from nothing', () => {
    const out = renderRetentionOverrides(tenants, { defaults: { traces: '48h', metrics: '90d' } });
    expect(out.tempo.overrides['globex-prod']).toEqual({ compaction: { block_retention: '48h' } });
    expect(out.tempo.overrides['initech']).toEqual({ compaction: { block_retention: '48h' } });
    expect(out.mimir.overrides['initech']).toEqual({ compactor_blocks_retention_period: '2160h' });
    expect(out.loki.overrides['initech']).toBeUndefined();
  });

  it('keeps logs and metrics forever as 0s, and gives Prometheus the longest allowed instead', () => {
    const out = renderRetentionOverrides([
      { id: 'keep', retention: { logs: 'forever', metrics: 'forever' } },
    ]);
    expect(out.loki.overrides['keep']).toEqual({ retention_period: '0s' });
    expect(out.mimir.overrides['keep']).toEqual({ compactor_blocks_retention_period: '0s' });
    expect(out.prometheus.retentionTime).toBe('87600h');
  });

  it('refuses forever for traces, since a per-tenant 0s means "global" in Tempo', () => {
    const problems = problemsOf(() =>
      renderRetentionOverrides([{ id: 'a', retention: { traces: 'forever' } }]),
    );
    expect(problems).toEqual([expect.stringMatching(/^tenants\[0\]\.retention\.traces: Tempo cannot keep/)]);
  });

  it('lists every problem at once, with its path and the allowed range', () => {
    const problems = problemsOf(() =>
      renderRetentionOverrides([
        { id: 'a', retention: { logs: '2h', metrics: '11y', traces: 'soon' } },
        { id: 'Bad_Id' },
        { id: 'b', orgId: 'a' },
        {
          id: 'c',
          retention: {
            logStreams: [
              { selector: 'namespace=dev', period: '24h' },
              { selector: '{app="x"}', period: '1h' },
              { selector: '{app="y"}', period: '48h', priority: -1 },
            ],
          },
        },
        { id: 'd', retention: { log: '30d' } as never },
      ]),
    );
    expect(problems).toEqual([
      'tenants[0].retention.traces: "soon" is not a duration; write e.g. "744h", "30d" or "1y", or "forever"',
      'tenants[0].retention.logs: 2h is outside 24h..87600h allowed for logs',
      'tenants[0].retention.metrics: 11y is outside 24h..87600h allowed for metrics',
      expect.stringMatching(/^tenants\[1\]\.id: Invalid tenant id "Bad_Id"/),
      'tenants[2]: org id "a" is already used by tenant "a"',
      'tenants[3].retention.logStreams[0].selector: "namespace=dev" is not a Loki stream selector like {namespace="dev"}',
      'tenants[3].retention.logStreams[1].period: 1h is outside 24h..87600h (Loki needs ≥ 24h)',
      'tenants[3].retention.logStreams[2].priority: -1 must be a non-negative integer',
      'tenants[4].retention.log: unknown field; use traces, logs, metrics or logStreams',
    ]);
  });

  it('honours custom bounds', () => {
    expect(() =>
      renderRetentionOverrides([{ id: 'a', retention: { traces: '400d' } }], {
        bounds: { traces: { min: '1h', max: '30d' } },
      }),
    ).toThrow(/400d is outside 1h\.\.720h allowed for traces/);
  });

  it('writes YAML that parses back to the same documents, with a header saying where it goes', () => {
    const out = renderRetentionOverrides(tenants);
    const yaml = retentionOverridesYaml(out);
    expect(yaml.loki).toMatch(/^# Generated by @autoweave\/tenant-isolation/);
    expect(yaml.loki).toMatch(/per_tenant_override_config/);
    expect(parse(yaml.loki)).toEqual(out.loki);
    expect(parse(yaml.tempo)).toEqual(out.tempo);
    expect(parse(yaml.mimir)).toEqual(out.mimir);
  });
});

describe('parsePrometheusDuration', () => {
  it('reads every unit and refuses anything else without throwing', () => {
    expect(parsePrometheusDuration('1y2w3d4h5m6s7ms')).toBe(
      365 * 86_400_000 + 14 * 86_400_000 + 3 * 86_400_000 + 4 * 3_600_000 + 5 * 60_000 + 6000 + 7,
    );
    for (const bad of [undefined, 5, '', '5', '5 m', 'm5', '1m1h', '1.5h']) {
      expect(parsePrometheusDuration(bad)).toBeUndefined();
    }
  });
});
