import { defineSlo } from './define';
import { AVAILABILITY_SLO, USB_EVENT_LATENCY_SLO } from './defaults';
import {
  badRateExpr,
  errorRatioExpr,
  leMatcher,
  prometheus3Le,
  renderSelector,
  totalIncreaseExpr,
  totalSelector,
} from './promql';

describe('errorRatioExpr', () => {
  it('divides bad by total events, reading a bad counter that has not counted yet as 0', () => {
    expect(errorRatioExpr(AVAILABILITY_SLO, '5m')).toBe(
      '(sum(rate(autoweave_requests_total{status_class="5xx"}[5m])) or 0 * sum(rate(autoweave_requests_total[5m])))' +
        ' / sum(rate(autoweave_requests_total[5m]))',
    );
  });

  it('takes good events from total, with both sides summed by the group labels', () => {
    const slo = defineSlo({
      id: 'checkout',
      service: 'shop',
      description: 'd',
      objective: 0.99,
      sli: {
        kind: 'ratio',
        total: { metric: 'x_requests_total', matchers: { job: 'shop' } },
        good: { metric: 'x_requests_total', matchers: { outcome: 'success', job: 'shop' } },
      },
      groupBy: ['tenant_id', 'region'],
    });
    const total = 'sum by (tenant_id, region) (rate(x_requests_total{job="shop"}[1h]))';
    expect(errorRatioExpr(slo, '1h')).toBe(
      `(${total} - (sum by (tenant_id, region) (rate(x_requests_total{job="shop",outcome="success"}[1h])) or 0 * ${total})) / ${total}`,
    );
  });

  it('counts latency observations above the threshold as count minus the threshold bucket', () => {
    expect(errorRatioExpr(USB_EVENT_LATENCY_SLO, '30m')).toBe(
      '(sum(rate(autoweave_usb_event_duration_seconds_count[30m])) - sum(rate(autoweave_usb_event_duration_seconds_bucket{le="0.08"}[30m])))' +
        ' / sum(rate(autoweave_usb_event_duration_seconds_count[30m]))',
    );
  });

  it('keeps latency matchers on count and bucket and puts le last', () => {
    const slo = defineSlo({
      id: 'search',
      service: 's',
      description: 'd',
      objective: 0.99,
      sli: { kind: 'latency', histogram: 'x_seconds', thresholdSeconds: 0.25, matchers: { route: '/q' } },
    });
    expect(badRateExpr(slo, '5m')).toBe(
      'sum(rate(x_seconds_count{route="/q"}[5m])) - sum(rate(x_seconds_bucket{route="/q",le="0.25"}[5m]))',
    );
    expect(totalIncreaseExpr(slo, '1h')).toBe('sum(increase(x_seconds_count{route="/q"}[1h]))');
  });
});

describe('le matching across Prometheus versions', () => {
  it('prints le values the way Prometheus 3 normalises them', () => {
    expect(prometheus3Le(0.08)).toBe('0.08');
    expect(prometheus3Le(1)).toBe('1.0');
    expect(prometheus3Le(10)).toBe('10.0');
    expect(prometheus3Le(0.00005)).toBe('5e-05');
    expect(prometheus3Le(0.0001)).toBe('0.0001');
    expect(prometheus3Le(2.5e6)).toBe('2.5e+06');
    expect(prometheus3Le(123456)).toBe('123456.0');
  });

  it('matches one spelling when both agree and both when they differ', () => {
    expect(leMatcher(0.08)).toEqual({ name: 'le', values: ['0.08'] });
    expect(leMatcher(1)).toEqual({ name: 'le', values: ['1', '1.0'] });
    expect(renderSelector({ metric: 'h_bucket', matchers: [leMatcher(1)] })).toBe(
      'h_bucket{le=~"1|1\\\\.0"}',
    );
    expect(renderSelector({ metric: 'h_bucket', matchers: [leMatcher(0.00005)] })).toBe(
      'h_bucket{le=~"0\\\\.00005|5e-05"}',
    );
  });
});

describe('selectors', () => {
  it('escapes quotes, backslashes and newlines in matcher values', () => {
    expect(
      renderSelector({
        metric: 'm_total',
        matchers: [
          { name: 'b', values: ['say "hi"\n'] },
          { name: 'a', values: ['c:\\tmp'] },
        ],
      }),
    ).toBe('m_total{b="say \\"hi\\"\\n",a="c:\\\\tmp"}');
    expect(renderSelector(totalSelector(USB_EVENT_LATENCY_SLO.sli))).toBe(
      'autoweave_usb_event_duration_seconds_count',
    );
  });
});
