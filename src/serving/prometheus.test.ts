import { describe, expect, it } from 'vitest';
import { CONTENT_TYPE, Counter, Gauge, Histogram, Registry } from './prometheus.js';

const lines = (text: string) => text.split('\n').filter((l) => l !== '');

describe('Prometheus text format', () => {
  it('a counter: HELP and TYPE lines, then one sample per label set', () => {
    const c = new Counter('mlx_requests_total', 'HTTP requests.');
    c.inc({ route: '/predict', status: '200' });
    c.inc({ route: '/predict', status: '200' }, 2);
    c.inc({ route: '/health', status: '200' });
    const text = c.render();
    expect(text.endsWith('\n')).toBe(true);
    expect(lines(text)).toEqual([
      '# HELP mlx_requests_total HTTP requests.',
      '# TYPE mlx_requests_total counter',
      'mlx_requests_total{route="/predict",status="200"} 3',
      'mlx_requests_total{route="/health",status="200"} 1',
    ]);
  });

  it('a label set is one series whatever the order of its keys', () => {
    const c = new Counter('c', 'h');
    c.inc({ a: '1', b: '2' });
    c.inc({ b: '2', a: '1' });
    expect(lines(c.render()).slice(2)).toEqual(['c{a="1",b="2"} 2']);
  });

  it('no labels: the bare name; no samples: only HELP and TYPE', () => {
    const c = new Counter('up_total', 'h');
    expect(lines(c.render())).toEqual(['# HELP up_total h', '# TYPE up_total counter']);
    c.inc();
    expect(lines(c.render())[2]).toBe('up_total 1');
  });

  it('escapes backslash, double quote and newline in label values, and backslash and newline in HELP', () => {
    const c = new Counter('esc', 'a \\ help\nsecond line');
    c.inc({ path: 'C:\\dir "quoted"\nnext' });
    const [help, , sample] = lines(c.render());
    expect(help).toBe('# HELP esc a \\\\ help\\nsecond line');
    expect(sample).toBe('esc{path="C:\\\\dir \\"quoted\\"\\nnext"} 1');
    expect(c.render().split('\n')).toHaveLength(4);
  });

  it('a gauge: set, inc and dec', () => {
    const g = new Gauge('mlx_requests_in_flight', 'In flight.');
    g.inc();
    g.inc();
    g.dec();
    g.set({ model: 'm', version: '3' }, 0.25);
    expect(lines(g.render())).toEqual([
      '# HELP mlx_requests_in_flight In flight.',
      '# TYPE mlx_requests_in_flight gauge',
      'mlx_requests_in_flight 1',
      'mlx_requests_in_flight{model="m",version="3"} 0.25',
    ]);
    g.set({ model: 'm', version: '3' }, 2);
    expect(lines(g.render())[3]).toBe('mlx_requests_in_flight{model="m",version="3"} 2');
  });

  it('special values: +Inf, -Inf and NaN', () => {
    const g = new Gauge('g', 'h');
    g.set({ k: 'a' }, Infinity);
    g.set({ k: 'b' }, -Infinity);
    g.set({ k: 'c' }, NaN);
    expect(lines(g.render()).slice(2)).toEqual(['g{k="a"} +Inf', 'g{k="b"} -Inf', 'g{k="c"} NaN']);
  });

  it('a histogram: cumulative buckets with le labels, +Inf equal to the count, _sum and _count', () => {
    const h = new Histogram('lat_seconds', 'Latency.', [0.1, 0.5, 1]);
    for (const v of [0.05, 0.1, 0.3, 0.7, 2]) h.observe({ route: '/p' }, v);
    expect(lines(h.render())).toEqual([
      '# HELP lat_seconds Latency.',
      '# TYPE lat_seconds histogram',
      'lat_seconds_bucket{route="/p",le="0.1"} 2',
      'lat_seconds_bucket{route="/p",le="0.5"} 3',
      'lat_seconds_bucket{route="/p",le="1"} 4',
      'lat_seconds_bucket{route="/p",le="+Inf"} 5',
      'lat_seconds_sum{route="/p"} 3.15',
      'lat_seconds_count{route="/p"} 5',
    ]);
  });

  it('histogram buckets never decrease, and each series has its own buckets', () => {
    const h = new Histogram('b', 'h', [1, 2, 4, 8]);
    for (const v of [8, 1, 3, 3, 100, 0]) h.observe({}, v);
    h.observe({ s: 'x' }, 5);
    const text = h.render();
    const bare = lines(text).filter((l) => l.startsWith('b_bucket{le='));
    const counts = bare.map((l) => Number(l.split(' ')[1]));
    expect(counts).toEqual([2, 2, 4, 5, 6]);
    for (let i = 1; i < counts.length; i++) expect(counts[i]).toBeGreaterThanOrEqual(counts[i - 1]);
    expect(text).toContain('b_sum 115\n');
    expect(text).toContain('b_count 6\n');
    expect(text).toContain('b_bucket{s="x",le="4"} 0\n');
    expect(text).toContain('b_bucket{s="x",le="8"} 1\n');
    expect(text).toContain('b_bucket{s="x",le="+Inf"} 1\n');
    expect(text).toContain('b_count{s="x"} 1\n');
  });

  it('a registry renders its metrics in registration order; the content type is the 0.0.4 text format', () => {
    const r = new Registry();
    const a = r.register(new Counter('a_total', 'A.'));
    const b = r.register(new Gauge('b', 'B.'));
    a.inc();
    b.set({}, 7);
    expect(r.render()).toBe('# HELP a_total A.\n# TYPE a_total counter\na_total 1\n# HELP b B.\n# TYPE b gauge\nb 7\n');
    expect(CONTENT_TYPE).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('every sample line parses as NAME{LABELS} VALUE', () => {
    const r = new Registry();
    r.register(new Counter('x_total', 'h')).inc({ a: 'q"\\\n' });
    r.register(new Histogram('y', 'h', [1])).observe({ z: '1' }, 0.5);
    const sample = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\\n])*",?)*\})? [-+]?(\d+(\.\d+)?(e[-+]?\d+)?|Inf|NaN)$/;
    for (const l of lines(r.render())) if (!l.startsWith('#')) expect(l).toMatch(sample);
  });
});
