import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatNumber, formatTicks } from './format-number.js';
import { escapeXml, niceTicks, renderMetricsSvg } from './svg-chart.js';
import type { MetricSeries, SeriesPoint } from './svg-chart.js';

interface Node {
  name: string;
  attrs: Record<string, string>;
  children: Node[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(s: string): string {
  if (s.includes('<')) throw new Error(`raw < in ${JSON.stringify(s)}`);
  return s.replace(/&([^;]*);?/g, (m, ent: string) => {
    if (!m.endsWith(';')) throw new Error(`bare & in ${JSON.stringify(s)}`);
    if (ent in ENTITIES) return ENTITIES[ent];
    const code = /^#x([0-9a-f]+)$/i.test(ent) ? parseInt(ent.slice(2), 16) : /^#\d+$/.test(ent) ? Number(ent.slice(1)) : NaN;
    if (Number.isNaN(code)) throw new Error(`unknown entity ${m}`);
    return String.fromCodePoint(code);
  });
}

/** A strict little XML reader: enough to prove the SVG is well-formed and to walk its elements. */
function parseXml(xml: string): Node {
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/.test(xml)) throw new Error('control character');
  const src = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const root: Node = { name: '#document', attrs: {}, children: [], text: '' };
  const stack = [root];
  const re = /<!--[\s\S]*?-->|<\/([A-Za-z][\w:.-]*)\s*>|<([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)|(<)/g;
  for (let m = re.exec(src); m; m = re.exec(src)) {
    const top = stack[stack.length - 1];
    if (m[6]) throw new Error(`malformed markup at ${m.index}: ${src.slice(m.index, m.index + 40)}`);
    if (m[5] !== undefined) {
      if (top === root && m[5].trim()) throw new Error('text outside the root element');
      top.text += decode(m[5]);
    } else if (m[1]) {
      if (top.name !== m[1]) throw new Error(`</${m[1]}> closes <${top.name}>`);
      stack.pop();
    } else if (m[2]) {
      if (top === root && root.children.length > 0) throw new Error('second root element');
      const node: Node = { name: m[2], attrs: {}, children: [], text: '' };
      for (const a of m[3].matchAll(/([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
        if (a[1] in node.attrs) throw new Error(`duplicate attribute ${a[1]}`);
        node.attrs[a[1]] = decode(a[2] ?? a[3]);
      }
      top.children.push(node);
      if (!m[4]) stack.push(node);
    }
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1].name}>`);
  if (root.children.length !== 1) throw new Error('no root element');
  return root.children[0];
}

function all(n: Node, pred: (n: Node) => boolean): Node[] {
  return [...(pred(n) ? [n] : []), ...n.children.flatMap((c) => all(c, pred))];
}
const byClass = (n: Node, cls: string) => all(n, (x) => (x.attrs.class ?? '').split(' ').includes(cls));
const byName = (n: Node, name: string) => all(n, (x) => x.name === name);

const hasPython = spawnSync('python3', ['--version']).status === 0;

function pythonParses(svg: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'mlx-svg-'));
  try {
    const file = join(dir, 'chart.svg');
    writeFileSync(file, svg);
    execFileSync('python3', ['-c', 'import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])', file], { stdio: 'pipe' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const pts = (values: number[], step0 = 0): SeriesPoint[] => values.map((value, i) => ({ step: step0 + i, value, timestamp: 1_700_000_000_000 + i * 1000 }));

const epochs = [...Array(20).keys()];
const seed: MetricSeries[] = [
  {
    metric: 'train_loss',
    runs: [
      { runId: '0123456789abcdef0123456789abcdef', runName: 'baseline', points: pts(epochs.map((e) => 0.5 * 0.95 ** e)) },
      { runId: 'fedcba9876543210fedcba9876543210', runName: 'wide', points: pts(epochs.map((e) => 0.52 * 0.93 ** e)) },
    ],
  },
  {
    metric: 'val_accuracy',
    runs: [
      { runId: '0123456789abcdef0123456789abcdef', runName: 'baseline', points: pts(epochs.map((e) => Math.min(0.95, 0.6 + e * 0.02))) },
      { runId: 'fedcba9876543210fedcba9876543210', runName: 'wide', points: pts(epochs.map((e) => Math.min(0.93, 0.58 + e * 0.025))) },
    ],
  },
];

function coords(poly: Node): [number, number][] {
  return poly.attrs.points
    .trim()
    .split(/\s+/)
    .map((p) => p.split(',').map(Number) as [number, number]);
}

function parseLabel(label: string): number {
  const unit: Record<string, number> = { k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  const suffix = label.slice(-1);
  return suffix in unit ? Number(label.slice(0, -1)) * unit[suffix] : Number(label);
}

function expectNiceTicks(labels: string[]): void {
  const values = labels.map(parseLabel);
  expect(values.every(Number.isFinite)).toBe(true);
  expect(values.length).toBeGreaterThanOrEqual(2);
  const step = values[1] - values[0];
  const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
  expect([1, 2, 5].some((n) => Math.abs(mantissa - n) < 1e-6)).toBe(true);
  for (let i = 1; i < values.length; i++) expect(values[i] - values[i - 1]).toBeCloseTo(step, 9);
  for (const v of values) expect(Math.abs(v / step - Math.round(v / step))).toBeLessThan(1e-6);
}

describe('the test XML reader', () => {
  it.each(['<a>&</a>', '<a><b></a>', '<a x="<"/>', '<a x=1/>', '<a/><b/>', '<a>', '<a x="1" x="2"/>', '<a>&bogus;</a>', '<a>\u0001</a>'])(
    'rejects %j',
    (bad) => {
      expect(() => parseXml(bad)).toThrow();
    },
  );
});

describe('renderMetricsSvg', () => {
  const svg = renderMetricsSvg(seed, { title: 'seed' });
  const doc = parseXml(svg);

  it('is a well-formed, self-describing SVG document', () => {
    expect(doc.name).toBe('svg');
    expect(doc.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
    const [w, h] = [Number(doc.attrs.width), Number(doc.attrs.height)];
    expect(doc.attrs.viewBox).toBe(`0 0 ${w} ${h}`);
    expect(doc.attrs['font-family']).toMatch(/sans-serif$/);
    expect(doc.children[0].name).toBe('title');
    expect(doc.children[0].text).toBe('seed');
    if (hasPython) pythonParses(svg);
  });

  it('draws one panel per metric and one line per run with finite coordinates inside the view', () => {
    const panels = byClass(doc, 'panel');
    expect(panels.map((p) => p.attrs['data-metric'])).toEqual(['train_loss', 'val_accuracy']);
    for (const panel of panels) {
      const series = byClass(panel, 'series');
      expect(series.map((s) => s.attrs['data-run-id'])).toEqual(seed[0].runs.map((r) => r.runId));
      for (const s of series) {
        const lines = byName(s, 'polyline');
        expect(lines).toHaveLength(1);
        const xy = coords(lines[0]);
        expect(xy).toHaveLength(20);
        for (const [x, y] of xy) {
          expect(Number.isFinite(x) && Number.isFinite(y)).toBe(true);
          expect(x).toBeGreaterThanOrEqual(0);
          expect(x).toBeLessThanOrEqual(Number(doc.attrs.width));
        }
        expect(byName(s, 'circle')).toHaveLength(20);
      }
      expect(new Set(series.map((s) => s.attrs.stroke)).size).toBe(2);
    }
  });

  it('labels axes with nice tick values', () => {
    for (const panel of byClass(doc, 'panel')) {
      expectNiceTicks(byClass(panel, 'x').map((t) => t.text));
      expectNiceTicks(byClass(panel, 'y').map((t) => t.text));
    }
    expect(byClass(byClass(doc, 'panel')[0], 'y').map((t) => t.text)).toContain('0.5');
  });

  it('has a legend naming each run with its short id, in its line color', () => {
    const items = byClass(doc, 'legend-item');
    expect(items.map((i) => byName(i, 'text')[0].text)).toEqual(['baseline (01234567)', 'wide (fedcba98)']);
    expect(byName(items[0], 'line')[0].attrs.stroke).toBe(byClass(doc, 'series')[0].attrs.stroke);
  });

  it('escapes every user string', () => {
    const nasty = `a&b<c>"d'e`;
    const runName = `<script>alert("x")</script> & 'co'`;
    const out = renderMetricsSvg([{ metric: nasty, runs: [{ runId: `id&<"'>`, runName, points: pts([1, 2]) }] }], { title: nasty });
    const d = parseXml(out);
    if (hasPython) pythonParses(out);
    expect(out).not.toContain('<script>');
    expect(d.children[0].text).toBe(nasty);
    expect(byClass(d, 'panel')[0].attrs['data-metric']).toBe(nasty);
    expect(byName(byClass(d, 'panel')[0], 'text')[0].text).toBe(nasty);
    expect(byName(byClass(d, 'legend-item')[0], 'text')[0].text).toBe(`${runName} (id&<"'>)`);
  });

  it('replaces characters XML cannot carry', () => {
    const out = renderMetricsSvg([{ metric: 'm\u0001\uD800x', runs: [{ runId: 'r', runName: 'n\u001F', points: pts([1]) }] }]);
    expect(byClass(parseXml(out), 'panel')[0].attrs['data-metric']).toBe('m\uFFFD\uFFFDx');
    if (hasPython) pythonParses(out);
  });

  it('leaves gaps at NaN and Infinity and skips runs with nothing to draw', () => {
    const out = renderMetricsSvg([
      {
        metric: 'loss',
        runs: [
          { runId: 'gappy', runName: 'g', points: pts([1, 2, NaN, Infinity, 3, 4, -Infinity, 5]) },
          { runId: 'empty', runName: 'e', points: pts([NaN, NaN]) },
        ],
      },
    ]);
    const series = byClass(parseXml(out), 'series');
    expect(series.map((s) => s.attrs['data-run-id'])).toEqual(['gappy']);
    const lines = byName(series[0], 'polyline');
    expect(lines.map((l) => coords(l).length)).toEqual([2, 2, 1]);
    expect(lines.flatMap(coords).flat().every(Number.isFinite)).toBe(true);
  });

  it('says so when a metric has no finite value', () => {
    const out = renderMetricsSvg([{ metric: 'loss', runs: [{ runId: 'r', runName: 'r', points: pts([NaN]) }] }]);
    expect(out).toContain('no finite values');
    parseXml(out);
  });

  it('draws a single point and a flat line sensibly', () => {
    const out = renderMetricsSvg([
      { metric: 'one', runs: [{ runId: 'r', runName: 'r', points: pts([0.42], 7) }] },
      { metric: 'flat', runs: [{ runId: 'r', runName: 'r', points: pts([0, 0, 0]) }] },
    ]);
    const [one, flat] = byClass(parseXml(out), 'panel');
    expect(byName(one, 'circle')).toHaveLength(1);
    const all = [...byName(one, 'polyline'), ...byName(flat, 'polyline')].flatMap(coords).flat();
    expect(all.every(Number.isFinite)).toBe(true);
    expectNiceTicks(byClass(one, 'x').map((t) => t.text));
    expectNiceTicks(byClass(flat, 'x').map((t) => t.text));
    expectNiceTicks(byClass(flat, 'y').map((t) => t.text));
    // One value per run is a summary metric: drawn as a labelled dot on a value axis.
    expect(out).toContain('>0.42</text>');
    expect(byClass(flat, 'x').map((t) => t.text)).toContain('2');
  });

  it('keeps extreme values on the chart', () => {
    const out = renderMetricsSvg([{ metric: 'm', runs: [{ runId: 'r', runName: 'r', points: pts([-1.7e308, 1.7e308, 1e-300]) }] }]);
    expect(byName(parseXml(out), 'polyline').flatMap(coords).flat().every(Number.isFinite)).toBe(true);
  });

  it('thins very long histories and drops their markers', () => {
    const values = Array.from({ length: 100_000 }, (_, i) => Math.sin(i / 1000));
    const out = renderMetricsSvg([{ metric: 'm', runs: [{ runId: 'r', runName: 'r', points: pts(values) }] }]);
    const d = parseXml(out);
    const n = coords(byName(d, 'polyline')[0]).length;
    expect(n).toBeGreaterThan(100);
    expect(n).toBeLessThan(2000);
    expect(byName(d, 'circle').filter((c) => byClass(d, 'series')[0].children.includes(c))).toHaveLength(0);
  });

  it('plots relative time when every point sits at the same step', () => {
    const points = [0, 1, 2].map((i) => ({ step: 0, value: i, timestamp: 1000 + i * 30_000 }));
    const out = renderMetricsSvg([{ metric: 'm', runs: [{ runId: 'r', runName: 'r', points }] }]);
    expect(out).toContain('relative time (s)');
    expect(byClass(parseXml(out), 'x').map((t) => t.text)).toContain('60');
  });

  it('tells apart more runs than colors by dashes', () => {
    const runs = Array.from({ length: 9 }, (_, i) => ({ runId: `run${i}`, runName: `r${i}`, points: pts([i, i + 1]) }));
    const d = parseXml(renderMetricsSvg([{ metric: 'm', runs }]));
    const styles = byClass(d, 'series').map((s) => `${s.attrs.stroke} ${byName(s, 'polyline')[0].attrs['stroke-dasharray'] ?? ''}`);
    expect(new Set(styles).size).toBe(9);
    expect(byClass(d, 'legend-item')).toHaveLength(9);
  });

  it('is deterministic and leaves its input alone', () => {
    const points = [3, 1, 2].map((step) => ({ step, value: step, timestamp: step }));
    const input = [{ metric: 'm', runs: [{ runId: 'r', runName: 'r', points }] }];
    expect(renderMetricsSvg(input)).toBe(renderMetricsSvg(structuredClone(input)));
    expect(points.map((p) => p.step)).toEqual([3, 1, 2]);
  });

  it('renders a small "no metrics" document for no metrics', () => {
    const out = renderMetricsSvg([]);
    const d = parseXml(out);
    expect(d.attrs.width).toBe('400');
    expect(out).toContain('no metrics');
    if (hasPython) pythonParses(out);
  });
});

describe('niceTicks', () => {
  it('covers the range with 1-2-5 steps', () => {
    expect(niceTicks(0.13, 0.52, 5)).toEqual({ min: 0.1, max: 0.6, step: 0.1, values: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6] });
    expect(niceTicks(0, 19, 8).values).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
    expect(niceTicks(0, 3, 8, true).step).toBe(1);
  });
  it('widens an empty range', () => {
    expect(niceTicks(0, 0).values).toContain(0);
    const t = niceTicks(5, 5, 8, true);
    expect(t.values).toEqual([4, 5, 6]);
  });
});

describe('formatting', () => {
  it('labels ticks consistently and without float noise', () => {
    expect(formatTicks([0.1, 0.15, 0.2], 0.05)).toEqual(['0.10', '0.15', '0.20']);
    expect(formatTicks([0.1 + 0.2, 0.4], 0.1)).toEqual(['0.3', '0.4']);
    expect(formatTicks([-1e-17, 1], 0.5)).toEqual(['0', '1.0']);
    expect(formatTicks([0, 5000, 10000, 15000], 5000)).toEqual(['0', '5k', '10k', '15k']);
    expect(formatTicks([9500, 10000], 500)).toEqual(['9.5k', '10.0k']);
    expect(formatTicks([1e-5, 2e-5], 1e-5)).toEqual(['1e-5', '2e-5']);
    expect(formatTicks([2e20, 4e20], 2e20)).toEqual(['2e20', '4e20']);
    expect(formatTicks([1.25e-5, 1.3e-5], 5e-7)).toEqual(['1.25e-5', '1.30e-5']);
  });
  it('formats single numbers compactly', () => {
    expect(formatNumber(0.358512)).toBe('0.3585');
    expect(formatNumber(12345)).toBe('12.35k');
    expect(formatNumber(999_960)).toBe('1M');
    expect(formatNumber(1.5e-5)).toBe('1.5e-5');
    expect(formatNumber(NaN)).toBe('NaN');
    expect(formatNumber(-Infinity)).toBe('-Infinity');
  });
  it('escapes the five XML specials', () => {
    expect(escapeXml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&apos;');
  });
});
