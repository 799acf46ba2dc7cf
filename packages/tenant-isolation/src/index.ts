export { TENANT_ID_PATTERN, InvalidTenantIdError, isValidTenantId, validateTenantId } from './tenant-id';
export {
  TENANT_ATTRIBUTE,
  TENANT_BAGGAGE_KEY,
  TENANT_LABEL,
  NO_TENANT_LABEL_VALUE,
  bindToTenant,
  currentTenant,
  currentTenantInfo,
  runWithTenant,
  tenantFromContext,
  withTenantBaggage,
} from './context';
export { OVERFLOW_LABEL_VALUE, createLabelGuard } from './label-guard';
export type { LabelGuard, LabelGuardOptions } from './label-guard';
export type { TenantInfo, TenantSource } from './types';
export {
  DEFAULT_RETENTION_BOUNDS,
  RETAIN_FOREVER,
  RetentionPolicyError,
  formatRetention,
  parsePrometheusDuration,
  parseRetentionDuration,
  renderRetentionOverrides,
  retentionOverridesYaml,
} from './retention';
export type {
  LokiOverrides,
  MimirOverrides,
  RenderRetentionOptions,
  RetentionBounds,
  RetentionOverrides,
  RetentionSignal,
  RetentionTenant,
  TempoOverrides,
} from './retention';
export type {
  ApiKeyRecord,
  AuditEventInput,
  AuditEventType,
  AuditSink,
  BudgetKind,
  RedactionPolicy,
  RetentionPolicy,
  StreamRetention,
  TenantConfig,
  TenantKeySet,
  TenantLimits,
  TelemetryBudget,
  AttributeRedactor,
} from './policy-types';
export { OVERFLOW_TENANT, createTenantLimiter } from './rate-limit';
export type {
  BudgetCounts,
  RateLimitDecision,
  TenantBudgetStats,
  TenantLimiter,
  TenantLimiterOptions,
  TenantLimiterStats,
} from './rate-limit';
export { createPressureMonitor } from './pressure';
export type {
  PressureMonitor,
  PressureMonitorOptions,
  PressureReading,
  PressureSample,
  PressureSource,
} from './pressure';
export { TENANT_BUDGET_METRICS, observeTenantBudgets } from './budget-metrics';
export type { TenantBudgetMetrics, TenantBudgetMetricsOptions } from './budget-metrics';
export {
  API_KEY_HASH_PATTERN,
  MAX_API_KEY_LENGTH,
  generateApiKey,
  hashApiKey,
  isApiKeyHash,
} from './credentials';
export { CidrError, createIpAllowList, isValidCidr, normalizeIp, parseCidr } from './cidr';
export type { CidrRange, IpAllowList } from './cidr';
export { OriginPatternError, createOriginPolicy, parseOriginPattern } from './origin';
export type { OriginPolicy } from './origin';
export {
  DEFAULT_TENANT_LIMITS,
  TenantConfigError,
  createTenantRegistry,
  loadTenantRegistry,
  parseTenantRegistryConfig,
  readTenantRegistryConfig,
} from './registry';
export type {
  AuthenticationFailure,
  AuthenticationResult,
  LoadTenantRegistryOptions,
  ResolvedTenant,
  TenantRegistry,
  TenantRegistryChange,
  TenantRegistryConfig,
  TenantRegistryOptions,
} from './registry';
export {
  TENANT_ID_HEADER,
  TenantAccessError,
  createTenantResolver,
  resolveTenant,
  sendTenantError,
} from './resolve';
export type {
  ResolveTenantOptions,
  ResolveTenantResult,
  TenantAccessErrorCode,
  TenantRequest,
  TenantRequestLike,
  TenantResolver,
} from './resolve';
export { AUDIT_GENESIS_HASH } from './audit-format';
export type { AuditEntry, AuditHead } from './audit-format';
export { createAuditLog } from './audit-log';
export type {
  AuditLog,
  AuditLogOptions,
  AuditLogStats,
  AuditResumeState,
  AuditSubjectOptions,
} from './audit-log';
export { verifyAuditLines, verifyAuditLog } from './audit-verify';
export type { AuditBreak, AuditBreakReason, AuditVerifyOptions, AuditVerifyResult } from './audit-verify';
export { eraseAuditSubject, exportAuditSubject } from './audit-gdpr';
export type { AuditExportOptions } from './audit-gdpr';
export { AUDIT_LOG_METRICS, observeAuditLog } from './audit-metrics';
export type { AuditLogMetrics } from './audit-metrics';
export { isLuhnValid, isPlausibleCardNumber } from './luhn';
export {
  DecryptError,
  ENCRYPTED_VALUE_PREFIX,
  TenantKeyError,
  createTenantCipher,
  generateTenantKey,
  isEncryptedValue,
} from './tenant-cipher';
export type { DecryptContext, DecryptFailure, TenantCipher, TenantCipherOptions } from './tenant-cipher';
export { DEFAULT_DENY_ATTRIBUTES, REDACTION_MASKS, createRedactor } from './redact';
export type { RedactableLogRecord, RedactionKind, Redactor, RedactorOptions } from './redact';
