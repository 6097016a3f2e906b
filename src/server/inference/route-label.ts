const PLAIN = new Set([
  '/predict',
  '/invocations',
  '/health',
  '/ready',
  '/ping',
  '/version',
  '/metrics',
  '/variants',
  '/feedback',
  '/v2',
  '/v2/health/live',
  '/v2/health/ready',
]);

/** A bounded set of route labels for metrics, so paths typed by clients cannot blow up cardinality. */
export function routeLabel(path: string): string {
  if (PLAIN.has(path)) return path;
  if (/^\/v2\/models\/[^/]+(\/versions\/[^/]+)?\/infer$/.test(path)) return '/v2/models/:name/infer';
  if (/^\/v2\/models\/[^/]+(\/versions\/[^/]+)?\/ready$/.test(path)) return '/v2/models/:name/ready';
  if (/^\/v2\/models\/[^/]+(\/versions\/[^/]+)?$/.test(path)) return '/v2/models/:name';
  return 'other';
}
