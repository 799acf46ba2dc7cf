// Alertmanager inhibition for the generated burn-rate alerts: while an SLO pages, its tickets (same
// SLO, same group) are held back, so one incident does not also open a ticket.
import { Document } from 'yaml';
import {
  DEFAULT_BURN_ALERT_NAME,
  GENERATED_HEADER,
  checkDistinctIds,
  resolveRulesOptions,
  type PrometheusRulesOptions,
} from './rules';
import type { SloDefinition } from './types';

/** One entry of Alertmanager's `inhibit_rules` (matcher syntax of Alertmanager ≥ 0.22). */
export interface InhibitRule {
  readonly source_matchers: readonly string[];
  readonly target_matchers: readonly string[];
  /** Labels that must be equal on source and target (a label missing on both counts as equal). */
  readonly equal: readonly string[];
}

export type InhibitRulesOptions = Pick<PrometheusRulesOptions, 'burnAlertName'>;

/** An Alertmanager matcher `name="value"`, value escaped as Alertmanager reads it. */
function matcher(name: string, value: string): string {
  return `${name}=${JSON.stringify(value)}`;
}

/**
 * Alertmanager `inhibit_rules` for `slos`: per SLO, a firing page (`severity="page"`) inhibits that
 * SLO's tickets (`severity="ticket"`) with the same `slo_id`, `slo_service` and `groupBy` labels, so a
 * page for one tenant never hides another tenant's ticket. Pass the same `burnAlertName` as to
 * `generatePrometheusRules`.
 */
export function generateInhibitRules(
  slos: readonly SloDefinition[],
  options: InhibitRulesOptions = {},
): InhibitRule[] {
  const { burnAlertName } = resolveRulesOptions({
    burnAlertName: options.burnAlertName ?? DEFAULT_BURN_ALERT_NAME,
  });
  checkDistinctIds(slos);
  return slos
    .filter(
      (slo) => slo.tiers.some((t) => t.severity === 'page') && slo.tiers.some((t) => t.severity === 'ticket'),
    )
    .map((slo) => {
      const common = [
        matcher('alertname', burnAlertName),
        matcher('slo_id', slo.id),
        matcher('slo_service', slo.service),
      ];
      return {
        source_matchers: [...common, matcher('severity', 'page')],
        target_matchers: [...common, matcher('severity', 'ticket')],
        equal: ['slo_id', 'slo_service', ...slo.groupBy],
      };
    });
}

/** `inhibit_rules:` YAML, with the generated-file header, to merge into an alertmanager.yml. */
export function inhibitRulesToYaml(rules: readonly InhibitRule[]): string {
  const doc = new Document({ inhibit_rules: rules }, { aliasDuplicateObjects: false });
  doc.commentBefore = GENERATED_HEADER;
  return doc.toString({ lineWidth: 0 });
}
