import { describe, expect, it } from 'vitest';
import { parseProtocolLine } from './log-protocol.js';

const now = () => 42;

describe('parseProtocolLine', () => {
  it('ignores ordinary output', () => {
    expect(parseProtocolLine('epoch 1 loss=0.3', now)).toBeNull();
    expect(parseProtocolLine(' ::mlx metric a=1', now)).toBeNull();
  });

  it('parses metrics with optional step and timestamp', () => {
    expect(parseProtocolLine('::mlx metric loss=0.25', now)).toEqual({ type: 'metric', key: 'loss', value: 0.25, step: 0, timestamp: 42 });
    expect(parseProtocolLine('::mlx metric val/acc=1e-3 step=7 timestamp=99\r', now)).toEqual({
      type: 'metric',
      key: 'val/acc',
      value: 0.001,
      step: 7,
      timestamp: 99,
    });
    expect(Number.isNaN((parseProtocolLine('::mlx metric x=nan', now) as { value: number }).value)).toBe(true);
    expect((parseProtocolLine('::mlx metric x=-inf', now) as { value: number }).value).toBe(-Infinity);
  });

  it('keeps the rest of the line as a param or tag value', () => {
    expect(parseProtocolLine('::mlx param layers=64 128 256', now)).toEqual({ type: 'param', key: 'layers', value: '64 128 256' });
    expect(parseProtocolLine('::mlx tag note=a=b', now)).toEqual({ type: 'tag', key: 'note', value: 'a=b' });
  });

  it('rejects malformed lines with the reason', () => {
    expect(() => parseProtocolLine('::mlx metric loss=abc', now)).toThrow(/"abc" is not a number/);
    expect(() => parseProtocolLine('::mlx metric loss=1 step=1.5', now)).toThrow(/step "1.5" is not an integer/);
    expect(() => parseProtocolLine('::mlx metric loss=1 epoch=3', now)).toThrow(/only step=N and timestamp=MS/);
    expect(() => parseProtocolLine('::mlx metrics loss=1', now)).toThrow(/unknown ::mlx command "metrics"/);
    expect(() => parseProtocolLine('::mlx param novalue', now)).toThrow(/KEY=VALUE/);
    expect(() => parseProtocolLine('::mlx tag b*d=1', now)).toThrow(/"b\*d"/);
  });
});
