import type { InferenceLogStats } from '../inference-log/record.js';
import { Counter, Gauge, Histogram, Registry } from './prometheus.js';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];

/** The metrics `mlx serve` exposes at /metrics. */
export function servingMetrics() {
  const registry = new Registry();
  return {
    registry,
    requests: registry.register(new Counter('mlx_requests_total', 'HTTP requests by route, method, status, model version and variant.')),
    latency: registry.register(new Histogram('mlx_request_duration_seconds', 'HTTP request latency in seconds, by route and variant.', LATENCY_BUCKETS)),
    inFlight: registry.register(new Gauge('mlx_requests_in_flight', 'HTTP requests being served now.')),
    queued: registry.register(
      new Gauge(
        'mlx_inference_queue_requests',
        'Requests waiting for an inference run (each uploaded image counts as one), by variant (at the time of the scrape).',
      ),
    ),
    batchSize: registry.register(new Histogram('mlx_inference_batch_size', 'Rows per onnxruntime run (dynamic batching).', BATCH_BUCKETS)),
    preprocess: registry.register(new Histogram('mlx_preprocess_duration_seconds', 'Image decoding and preprocessing time in seconds.', LATENCY_BUCKETS)),
    loadTime: registry.register(new Gauge('mlx_model_load_seconds', 'Time to load and warm up the model, in seconds.')),
    info: registry.register(new Gauge('mlx_model_info', 'The model being served (value 1).')),
    device: registry.register(new Gauge('mlx_model_device', 'Where each variant runs inference: device="cpu" or "cuda:N" (value 1).')),
    share: registry.register(new Gauge('mlx_variant_share', 'Fraction of requests routed to each variant (0 for shadows).')),
    swaps: registry.register(new Counter('mlx_model_swaps_total', 'Hot swaps after an alias moved, by variant and result (done, refused, failed).')),
    shadowRequests: registry.register(
      new Counter('mlx_shadow_requests_total', 'Requests mirrored to shadows, by variant and result (answered, failed, skipped).'),
    ),
    shadowRows: registry.register(new Counter('mlx_shadow_rows_total', 'Rows a shadow predicted, by variant and whether it agreed with the answer returned.')),
    schemaViolations: registry.register(
      new Counter(
        'mlx_schema_violations_total',
        'Cells (or rows, for expressions) that broke a rule of the --schema, by column, rule and severity; error ones refused their request.',
      ),
    ),
  };
}

export type ServingMetrics = ReturnType<typeof servingMetrics>;

/** Adds the inference log's counters to /metrics, read from the log's sink when scraped. */
export function registerLogMetrics(metrics: ServingMetrics, stats: () => InferenceLogStats): void {
  const series = (name: string, type: string, help: string, lines: [string, number][]) =>
    `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${lines.map(([labels, v]) => `${name}${labels} ${v}\n`).join('')}`;
  metrics.registry.register({
    render() {
      const s = stats();
      return (
        series('mlx_inference_log_records_total', 'counter', 'Answered requests offered to the inference log, by what became of them.', [
          ['{result="recorded"}', s.recorded],
          ['{result="sampled_out"}', s.sampledOut],
          ['{result="dropped"}', s.dropped],
        ]) +
        series('mlx_inference_log_rows_written_total', 'counter', 'Rows written to the inference log table.', [['', s.writtenRows]]) +
        series('mlx_inference_log_rows_deleted_total', 'counter', 'Rows deleted by retention (--log-max-rows).', [['', s.deletedRows]]) +
        series('mlx_inference_log_busy_total', 'counter', 'Writes put off because another process held the store.', [['', s.busy]]) +
        series('mlx_inference_log_buffered_rows', 'gauge', 'Rows waiting in memory to be written.', [['', s.bufferedRows]]) +
        series('mlx_inference_log_buffered_bytes', 'gauge', 'Bytes the inference log holds on the serving thread for rows not yet handed to its writer.', [
          ['', s.bufferedBytes],
        ])
      );
    },
  });
}
