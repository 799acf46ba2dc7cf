// One tenant's configuration: checked field by field against the rest of the registry (unique id,
// keys and org id), then frozen and compiled into the ResolvedTenant the registry serves.
import { CidrError, createIpAllowList, parseCidr } from './cidr';
import { OriginPatternError, createOriginPolicy, parseOriginPattern } from './origin';
import type { TenantConfig, TenantLimits } from './policy-types';
import { KEY_ID, checkApiKeys } from './registry-keys';
import { checkTenantLimits } from './registry-limits';
import {
  TenantConfigError,
  describeList,
  guard,
  isRecord,
  kind,
  member,
  shown,
  unknownFields,
} from './registry-problems';
import type { ResolvedTenant } from './registry-types';
import { RetentionPolicyError, renderRetentionOverrides } from './retention';
import { InvalidTenantIdError, validateTenantId } from './tenant-id';

const TENANT_FIELDS = [
  'id',
  'name',
  'apiKeys',
  'plan',
  'limits',
  'retention',
  'allowedIps',
  'allowedOrigins',
  'redaction',
  'encryption',
  'orgId',
] as const;
const REDACTION_FIELDS = ['maskIps', 'denyAttributes', 'sensitiveAttributes'] as const;
const ENCRYPTION_FIELDS = ['current', 'keys'] as const;
/** Loki/Tempo/Mimir tenant ids: up to 150 of these characters, not "." or "..". */
const ORG_ID = /^[A-Za-z0-9!._*'()-]{1,150}$/;
const KEY_MATERIAL = /^(?:base64|hex|env):\S+$/;

/** What validating one tenant needs to know about the rest of the registry. */
export interface ValidationContext {
  readonly plans: ReadonlyMap<string, TenantLimits>;
  readonly defaultPlan: string | undefined;
  /** Tenant id → where it was defined. */
  readonly ids: Map<string, string>;
  /** Key hash → where it was defined. */
  readonly hashes: Map<string, string>;
  /** Org id → tenant id. */
  readonly orgs: Map<string, string>;
}

/** A context in which no tenant, key or org id has been seen yet. */
export function validationContext(
  plans: ReadonlyMap<string, TenantLimits>,
  defaultPlan: string | undefined,
): ValidationContext {
  return { plans, defaultPlan, ids: new Map(), hashes: new Map(), orgs: new Map() };
}

/**
 * Validates `config` as a change to a registry holding `tenants`, against all of them but `replacing`.
 * Throws a TenantConfigError listing every problem.
 */
export function checkTenantAmong(
  config: unknown,
  plans: ReadonlyMap<string, TenantLimits>,
  defaultPlan: string | undefined,
  tenants: Iterable<ResolvedTenant>,
  replacing: string | undefined,
): ResolvedTenant {
  const context = validationContext(plans, defaultPlan);
  for (const other of tenants) {
    if (other.id === replacing) continue;
    context.ids.set(other.id, `tenant ${JSON.stringify(other.id)}`);
    context.orgs.set(other.orgId, other.id);
    for (const key of other.config.apiKeys ?? []) {
      context.hashes.set(key.hash, `tenant ${JSON.stringify(other.id)} key ${JSON.stringify(key.id)}`);
    }
  }
  const problems: string[] = [];
  const tenant = guard(problems, 'tenant', () => checkTenant(config, 'tenant', context, problems));
  if (problems.length > 0 || tenant === undefined) throw new TenantConfigError(problems);
  return tenant;
}

export function checkTenant(
  raw: unknown,
  path: string,
  context: ValidationContext,
  problems: string[],
): ResolvedTenant | undefined {
  if (!isRecord(raw)) {
    problems.push(`${path}: expected a tenant object with at least an "id", got ${kind(raw)}`);
    return undefined;
  }
  const before = problems.length;
  unknownFields(raw, TENANT_FIELDS, path, problems);

  let id: string | undefined;
  const beforeId = problems.length;
  const rawId = guard(problems, `${path}.id`, () => raw.id);
  try {
    id = validateTenantId(rawId);
  } catch (error) {
    // Unless reading the id already failed (a throwing getter), say what is wrong with it.
    if (problems.length === beforeId) {
      problems.push(`${path}.id: ${error instanceof InvalidTenantIdError ? error.message : String(error)}`);
    }
  }
  let duplicate = false;
  if (id !== undefined) {
    const where = context.ids.get(id);
    duplicate = where !== undefined;
    if (where !== undefined) problems.push(`${path}.id: ${JSON.stringify(id)} is already used by ${where}`);
    else context.ids.set(id, path);
  }

  if (raw.name !== undefined && (typeof raw.name !== 'string' || !/^[^\p{Cc}]{1,200}$/u.test(raw.name))) {
    problems.push(
      `${path}.name: expected 1-200 characters without control characters, got ${shown(raw.name)}`,
    );
  }

  const { plan, limits } = checkTenantLimits(raw, path, context.plans, context.defaultPlan, problems);

  const apiKeys = checkApiKeys(raw.apiKeys, `${path}.apiKeys`, context.hashes, problems);
  const allowedIps = checkList(raw.allowedIps, `${path}.allowedIps`, problems, (entry) => {
    try {
      return parseCidr(entry).cidr;
    } catch (error) {
      if (error instanceof CidrError) return { problem: error.message };
      throw error;
    }
  });
  const allowedOrigins = checkList(raw.allowedOrigins, `${path}.allowedOrigins`, problems, (entry) => {
    try {
      return parseOriginPattern(entry);
    } catch (error) {
      if (error instanceof OriginPatternError) return { problem: error.message };
      throw error;
    }
  });

  let orgId = id;
  if (raw.orgId !== undefined) {
    if (typeof raw.orgId !== 'string' || !ORG_ID.test(raw.orgId) || raw.orgId === '.' || raw.orgId === '..') {
      problems.push(
        `${path}.orgId: ${shown(raw.orgId)} is not a valid X-Scope-OrgID (1-150 of A-Z a-z 0-9 ! - _ . * ' ( ), not "." or "..")`,
      );
      orgId = undefined;
    } else {
      orgId = raw.orgId;
    }
  }
  if (orgId !== undefined && id !== undefined && !duplicate) {
    const owner = context.orgs.get(orgId);
    if (owner !== undefined) {
      problems.push(
        `${path}.orgId: ${JSON.stringify(orgId)} is already the org id of tenant ${JSON.stringify(owner)}; two tenants would share backend data`,
      );
    } else {
      context.orgs.set(orgId, id);
    }
  }

  if (raw.retention !== undefined && id !== undefined) {
    try {
      renderRetentionOverrides([{ id, retention: raw.retention as TenantConfig['retention'] & object }]);
    } catch (error) {
      if (!(error instanceof RetentionPolicyError)) throw error;
      for (const problem of error.problems) problems.push(problem.replace(/^tenants\[0\]/, path));
    }
  }
  checkRedaction(raw.redaction, `${path}.redaction`, problems);
  checkEncryption(raw.encryption, `${path}.encryption`, problems);

  if (problems.length > before || id === undefined || orgId === undefined) return undefined;

  // A frozen copy, so later edits to the caller's object cannot bypass validation.
  const config: TenantConfig = deepFreeze({
    ...(structuredClone(raw) as Omit<TenantConfig, 'id'>),
    id,
    ...(apiKeys === undefined ? {} : { apiKeys }),
  });
  const ipList =
    allowedIps === undefined || allowedIps.length === 0 ? undefined : createIpAllowList(allowedIps);
  const originPolicy = allowedOrigins === undefined ? undefined : createOriginPolicy(allowedOrigins);
  return Object.freeze({
    id,
    name: typeof raw.name === 'string' ? raw.name : id,
    plan,
    limits,
    orgId,
    config,
    allowedIps: ipList?.cidrs,
    allowedOrigins: originPolicy?.origins,
    allowsIp: (ip: unknown) => ipList === undefined || ipList.allows(ip),
    allowsOrigin: (origin: unknown) => originPolicy === undefined || originPolicy.allows(origin),
  });
}

function checkList(
  raw: unknown,
  path: string,
  problems: string[],
  check: (entry: unknown) => string | { problem: string },
): string[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw)) {
    problems.push(`${path}: expected a list, got ${kind(raw)}`);
    return undefined;
  }
  const out: string[] = [];
  raw.forEach((entry: unknown, i) => {
    const result = check(entry);
    if (typeof result === 'string') out.push(result);
    else problems.push(`${path}[${i}]: ${result.problem}`);
  });
  return out;
}

function checkRedaction(raw: unknown, path: string, problems: string[]): void {
  if (raw === undefined) return;
  if (!isRecord(raw)) {
    problems.push(`${path}: expected an object, got ${kind(raw)}`);
    return;
  }
  unknownFields(raw, REDACTION_FIELDS, path, problems);
  if (raw.maskIps !== undefined && typeof raw.maskIps !== 'boolean') {
    problems.push(`${path}.maskIps: expected true or false, got ${shown(raw.maskIps)}`);
  }
  for (const field of ['denyAttributes', 'sensitiveAttributes'] as const) {
    const list = raw[field];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      problems.push(`${path}.${field}: expected a list of attribute names, got ${kind(list)}`);
      continue;
    }
    list.forEach((name: unknown, i) => {
      if (typeof name !== 'string' || name.length === 0 || name.length > 256) {
        problems.push(
          `${path}.${field}[${i}]: expected an attribute name (1-256 characters), got ${shown(name)}`,
        );
      }
    });
  }
}

function checkEncryption(raw: unknown, path: string, problems: string[]): void {
  if (raw === undefined) return;
  if (!isRecord(raw)) {
    problems.push(`${path}: expected { current, keys }, got ${kind(raw)}`);
    return;
  }
  unknownFields(raw, ENCRYPTION_FIELDS, path, problems);
  if (!isRecord(raw.keys) || Object.keys(raw.keys).length === 0) {
    problems.push(
      `${path}.keys: expected a map of key id to key ("base64:...", "hex:..." or "env:VARIABLE")`,
    );
    return;
  }
  for (const [keyId, material] of Object.entries(raw.keys)) {
    if (!KEY_ID.test(keyId))
      problems.push(`${path}.keys: ${shown(keyId)} is not a key id; use letters, digits, "_", "." or "-"`);
    // Never echo key material.
    if (typeof material !== 'string' || !KEY_MATERIAL.test(material)) {
      problems.push(
        `${member(`${path}.keys`, keyId)}: expected "base64:...", "hex:..." or "env:VARIABLE" (value not shown)`,
      );
    }
  }
  if (typeof raw.current !== 'string' || !Object.hasOwn(raw.keys, raw.current)) {
    problems.push(
      `${path}.current: ${shown(raw.current)} must name one of the keys (${describeList(Object.keys(raw.keys))})`,
    );
  }
}

export function presentFields(config: TenantConfig): string[] {
  return TENANT_FIELDS.filter((f) => config[f] !== undefined);
}

export function changedFields(before: TenantConfig, after: TenantConfig): string[] {
  return TENANT_FIELDS.filter((f) => JSON.stringify(before[f]) !== JSON.stringify(after[f]));
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
