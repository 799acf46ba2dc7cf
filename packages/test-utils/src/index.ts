// Test-only helpers shared by every package: protocol peers that decode the real wire formats
// (OTLP/gRPC, Loki push) and runners for the real Prometheus, promtool and Redis.
export { freePort } from './ports';
export { seededRandom } from './random';
export { captureJsonLines, discardStream, type CapturedLines } from './streams';
export { getRedis, pingRedis, spawnRedisServer, startPrivateRedis, stopProcess } from './redis';
export type { RedisForTests } from './redis';
export {
  checkMetrics,
  findBinary,
  startPrometheus,
  type PromExemplar,
  type PromSample,
  type PromtoolResult,
  type RunningPrometheus,
  type ScrapeTarget,
  type StartPrometheusOptions,
} from './prometheus';
export {
  LOKI_PUSH_PATH,
  startLokiPeer,
  type LokiPeer,
  type LokiPeerEntry,
  type LokiPeerOptions,
  type LokiPeerRequest,
  type LokiPeerStream,
} from './loki-peer';
export {
  GRPC_STATUS,
  flattenExportRequest,
  startOtlpPeer,
  type OtlpPeer,
  type OtlpPeerOptions,
  type OtlpValue,
  type ReceivedRequest,
  type ReceivedSpan,
} from './otlp-peer';
export { recordSpans, useAsyncContext, type SpanRecorder } from './spans';
export { inCaretRange, peersInForce, type PeerInForce } from './peers';
