// Test-only helpers shared by every package: protocol peers that decode the real wire formats
// (OTLP/gRPC, Loki push) and runners for the real Prometheus, promtool and Redis.
export {};
