import { describe, expect, it } from 'vitest';
import { renderParallelCoordinatesSvg, stackSvgs } from './parallel-coords.js';
import { renderMetricsSvg } from './svg-chart.js';

const runs = [
  { runId: 'a'.repeat(32), name: 't-1', params: { lr: '0.0001', opt: 'adam' }, value: 0.7 },
  { runId: 'b'.repeat(32), name: 't-2', params: { lr: '0.01', opt: 'sgd' }, value: 0.9 },
  { runId: 'c'.repeat(32), name: 't-3', params: { lr: '0.1', opt: 'adam' }, value: null },
];
const opts = { params: ['lr', 'opt'], metric: 'acc', goal: 'max' as const, title: 'sweep <x>' };

/** The polyline of a run, as [x, y] points. */
function line(svg: string, runId: string): number[][] {
  const m = new RegExp(`data-run-id="${runId}" points="([^"]*)"`).exec(svg);
  if (!m) throw new Error(`no line for ${runId}`);
  return m[1].split(' ').map((p) => p.split(',').map(Number));
}

describe('renderParallelCoordinatesSvg', () => {
  it('one axis per param and one for the metric, one line per trial through its values; the best line drawn last', () => {
    const svg = renderParallelCoordinatesSvg(runs, opts);
    expect(svg.match(/<polyline class="trial"/g)).toHaveLength(3);
    // lr spans three decades: a log axis, named so.
    expect(svg).toContain('>lr (log)<');
    expect(svg).toContain('acc (higher is better)');
    const [best, worst, none] = [line(svg, 'b'.repeat(32)), line(svg, 'a'.repeat(32)), line(svg, 'c'.repeat(32))];
    expect(best).toHaveLength(3);
    // Higher acc sits higher (smaller y) on the last axis.
    expect(best[2][1]).toBeLessThan(worst[2][1]);
    // log scale: 0.01 is two thirds of the way up from 0.0001 to 0.1.
    const [top, bottom] = [none[0][1], worst[0][1]];
    expect((bottom - best[0][1]) / (bottom - top)).toBeCloseTo(2 / 3, 2); // coordinates are written to 0.1 px
    // A trial without the metric stops at the params, in grey, and is drawn first (under the others).
    expect(none).toHaveLength(2);
    expect(svg.indexOf('c'.repeat(32))).toBeLessThan(svg.indexOf('b'.repeat(32)));
    expect(svg).toContain('sweep &lt;x&gt;');
  });

  it('stacks with the metric curves into one well-formed document', () => {
    const doc = stackSvgs([renderParallelCoordinatesSvg(runs, opts), renderMetricsSvg([])]);
    expect(doc.match(/<\?xml/g)).toHaveLength(1);
    expect(doc.match(/<svg /g)).toHaveLength(3);
    expect(doc.match(/<\/svg>/g)).toHaveLength(3);
    expect(doc).toMatch(/<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="800" height="540"/);
    expect(doc).toContain('<svg y="420" ');
  });
});
