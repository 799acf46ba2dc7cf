// A batching span processor like the SDK's BatchSpanProcessor, but one that counts every span it
// loses and why (the SDK's drop counter is private and export failures are only logged). One export
// runs at a time, the queue is bounded, nothing ever blocks or throws into the caller.
import { TraceFlags, context, type Context } from '@opentelemetry/api';
import { ExportResultCode, suppressTracing } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { PipelineCounters } from './counters';

export interface BatchSettings {
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduledDelayMillis: number;
  exportTimeoutMillis: number;
  flushTimeoutMillis: number;
}

export class CountingBatchSpanProcessor implements SpanProcessor {
  private queue: ReadableSpan[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private stopped = false;
  private shutdownPromise: Promise<void> | undefined;

  constructor(
    private readonly exporter: SpanExporter,
    private readonly settings: BatchSettings,
    private readonly counters: PipelineCounters,
  ) {}

  get queueSize(): number {
    return this.queue.length;
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.stopped) {
      this.counters.dropped.shutdown++;
      return;
    }
    if (this.queue.length >= this.settings.maxQueueSize) {
      this.counters.dropped.queue_full++;
      return;
    }
    this.queue.push(span);
    this.schedule();
  }

  /** Exports what is queued, bounded by `flushTimeoutMillis`; never rejects. */
  async forceFlush(): Promise<void> {
    const deadline = Date.now() + this.settings.flushTimeoutMillis;
    this.clearTimer();
    while (Date.now() < deadline) {
      if (this.inFlight !== undefined) await this.inFlight;
      else if (this.queue.length > 0) await this.exportNext();
      else break;
    }
    if (this.inFlight === undefined && this.queue.length > 0 && !this.stopped) this.schedule();
  }

  /** Flushes, then drops (and counts) whatever could not be exported, and shuts the exporter down. */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.doShutdown();
    return this.shutdownPromise;
  }

  private async doShutdown(): Promise<void> {
    this.stopped = true;
    await this.forceFlush();
    this.clearTimer();
    this.counters.dropped.shutdown += this.queue.length;
    this.queue = [];
    try {
      await this.exporter.shutdown();
    } catch {
      // An exporter failing to shut down must not fail the app's shutdown.
    }
  }

  private schedule(): void {
    if (this.inFlight !== undefined) return; // the running export reschedules when it ends
    if (this.queue.length >= this.settings.maxExportBatchSize) {
      this.clearTimer();
      void this.exportNext();
      return;
    }
    if (this.timer !== undefined || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.exportNext();
    }, this.settings.scheduledDelayMillis);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private exportNext(): Promise<void> {
    if (this.inFlight !== undefined) return this.inFlight;
    if (this.queue.length === 0) return Promise.resolve();
    const batch = this.queue.splice(0, this.settings.maxExportBatchSize);
    const run = this.exportBatch(batch).finally(() => {
      this.inFlight = undefined;
      if (this.queue.length > 0 && !this.stopped) this.schedule();
    });
    this.inFlight = run;
    return run;
  }

  private exportBatch(batch: ReadableSpan[]): Promise<void> {
    return new Promise<void>((resolve) => {
      let settled = false;
      const finish = (ok: boolean): void => {
        if (settled) return;
        settled = true;
        clearTimeout(guard);
        if (ok) this.counters.exported += batch.length;
        else this.counters.dropped.export_failed += batch.length;
        resolve();
      };
      // The exporter has its own deadline; this guard only catches an exporter that never calls back.
      const guard = setTimeout(() => finish(false), this.settings.exportTimeoutMillis + 1000);
      guard.unref();
      const send = (): void => {
        // Suppressed so that an instrumented transport does not trace the export itself.
        context.with(suppressTracing(context.active()), () => {
          try {
            this.exporter.export(batch, (result) => finish(result.code === ExportResultCode.SUCCESS));
          } catch {
            finish(false);
          }
        });
      };
      const pending = batch.filter((s) => s.resource.asyncAttributesPending === true);
      if (pending.length === 0) send();
      else
        Promise.all(pending.map((s) => s.resource.waitForAsyncAttributes?.() ?? Promise.resolve())).then(
          send,
          () => finish(false),
        );
    });
  }
}
