import { Counter, Gauge, Histogram, Registry } from './prometheus.js';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];

/** The metrics `mlx serve` exposes at /metrics. */
export function servingMetrics() {
  const registry = new Registry();
  return {
    registry,
    requests: registry.register(new Counter('mlx_requests_total', 'HTTP requests by route, method, status and model version.')),
    latency: registry.register(new Histogram('mlx_request_duration_seconds', 'HTTP request latency in seconds, by route.', LATENCY_BUCKETS)),
    inFlight: registry.register(new Gauge('mlx_requests_in_flight', 'HTTP requests being served now.')),
    batchSize: registry.register(new Histogram('mlx_inference_batch_size', 'Rows per onnxruntime run (dynamic batching).', BATCH_BUCKETS)),
    preprocess: registry.register(new Histogram('mlx_preprocess_duration_seconds', 'Image decoding and preprocessing time in seconds.', LATENCY_BUCKETS)),
    loadTime: registry.register(new Gauge('mlx_model_load_seconds', 'Time to load and warm up the model, in seconds.')),
    info: registry.register(new Gauge('mlx_model_info', 'The model being served (value 1).')),
  };
}

export type ServingMetrics = ReturnType<typeof servingMetrics>;
