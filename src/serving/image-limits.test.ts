import { describe, expect, it } from 'vitest';
import { MlxError } from '../core/errors.js';
import { ImageTooLarge, PixelBudget, checkImageSize, relabel } from './image-limits.js';

/** Work that runs until release() is called, recording when it started. */
function held(log: string[], name: string) {
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  return { work: () => (log.push(name), done), release };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('PixelBudget', () => {
  it('runs work side by side while the pixels fit, then first come first served', async () => {
    const budget = new PixelBudget(100);
    const log: string[] = [];
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((n) => held(log, n));
    const runs = [budget.run(60, a.work), budget.run(40, b.work), budget.run(50, c.work), budget.run(10, d.work)];
    await tick();
    expect(log, 'a and b fill the budget; d fits but waits behind c').toEqual(['a', 'b']);
    expect(budget.pixels).toBe(100);
    a.release();
    await tick();
    expect(log).toEqual(['a', 'b', 'c', 'd']);
    expect(budget.pixels).toBe(100);
    b.release();
    c.release();
    d.release();
    await Promise.all(runs);
    expect(budget.pixels).toBe(0);
  });

  it('work over the whole budget runs alone, not never', async () => {
    const budget = new PixelBudget(100);
    const log: string[] = [];
    const small = held(log, 'small');
    const huge = held(log, 'huge');
    const after = held(log, 'after');
    const runs = [budget.run(10, small.work), budget.run(500, huge.work), budget.run(10, after.work)];
    await tick();
    expect(log).toEqual(['small']);
    small.release();
    await tick();
    expect(log).toEqual(['small', 'huge']);
    huge.release();
    await tick();
    expect(log).toEqual(['small', 'huge', 'after']);
    after.release();
    await Promise.all(runs);
  });

  it('a failed work gives its pixels back', async () => {
    const budget = new PixelBudget(100);
    await expect(budget.run(100, async () => Promise.reject(new Error('bad image')))).rejects.toThrow('bad image');
    expect(budget.pixels).toBe(0);
    expect(await budget.run(100, async () => 'next')).toBe('next');
  });
});

describe('checkImageSize', () => {
  it('names the size, the limit and the flag; the side limit holds within the pixel limit', () => {
    expect(() => checkImageSize(10_000, 10_000, 40_000_000, '--max-image-pixels')).toThrow(
      'image is 10000×10000 pixels (100,000,000), over the limit of 40,000,000 pixels (--max-image-pixels); send a smaller image, or raise --max-image-pixels',
    );
    // Named by the caller (mlx serve gives its flag); plain words otherwise.
    expect(() => checkImageSize(10_000, 10_000, 40_000_000)).toThrow('(the pixel limit); send a smaller image, or raise the pixel limit');
    expect(() => checkImageSize(65_536, 1, 40_000_000)).toThrow('image is 65536×1 pixels: a side over 65,535 pixels is refused');
    expect(() => checkImageSize(1, 65_536, 40_000_000)).toThrow(ImageTooLarge);
    expect(() => checkImageSize(65_535, 610, 40_000_000)).not.toThrow();
    expect(() => checkImageSize(6_324, 6_324, 40_000_000)).not.toThrow();
  });

  it("relabel keeps the error's kind (413 or 400) and prefixes which image it was", () => {
    const big = relabel(new ImageTooLarge('image is 2×2 pixels'), 'image 2 of 3 ("b.png")');
    expect(big).toBeInstanceOf(ImageTooLarge);
    expect((big as Error).message).toBe('image 2 of 3 ("b.png"): image is 2×2 pixels');
    const bad = relabel(new MlxError('INVALID_PARAMETER_VALUE', 'cannot decode image'), 'b.png') as MlxError;
    expect(bad).not.toBeInstanceOf(ImageTooLarge);
    expect([bad.code, bad.message]).toEqual(['INVALID_PARAMETER_VALUE', 'b.png: cannot decode image']);
    const other = new Error('inference failed');
    expect(relabel(other, 'b.png')).toBe(other);
  });
});
