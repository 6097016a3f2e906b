import { describe, expect, it } from 'vitest';
import { parseInteger, parseKeyValue, parseMetricValue, parseRunStatus, validateKey } from './validation.js';

describe('validation', () => {
  it('accepts MLflow key characters and refuses others', () => {
    for (const k of ['loss', 'val/acc', 'top-1.acc', 'my metric', 'Genauigkeit_ü']) expect(() => validateKey('metric', k)).not.toThrow();
    expect(() => validateKey('metric', '')).toThrow(/must not be empty/);
    expect(() => validateKey('metric', 'a:b')).toThrow(/"a:b" has characters/);
    expect(() => validateKey('param', '/abs')).toThrow(/relative path/);
    expect(() => validateKey('param', 'a/../b')).toThrow(/relative path/);
    expect(() => validateKey('tag', 'x'.repeat(251))).toThrow(/251 characters long; the limit is 250/);
  });

  it('parses metric values including NaN and infinities', () => {
    expect(parseMetricValue('m', '0.5')).toBe(0.5);
    expect(parseMetricValue('m', '-3e2')).toBe(-300);
    expect(parseMetricValue('m', '.5')).toBe(0.5);
    expect(parseMetricValue('m', 'Infinity')).toBe(Infinity);
    expect(parseMetricValue('m', '-inf')).toBe(-Infinity);
    expect(Number.isNaN(parseMetricValue('m', 'NaN'))).toBe(true);
    for (const bad of ['', 'abc', '0x10', '1,5', '1.2.3']) expect(() => parseMetricValue('m', bad)).toThrow(/is not a number/);
  });

  it('parses integers, statuses and key=value pairs', () => {
    expect(parseInteger('--step', '-3')).toBe(-3);
    expect(() => parseInteger('--step', '1.5')).toThrow(/--step "1.5" is not an integer/);
    expect(() => parseInteger('--step', '99999999999999999999')).toThrow(/out of range/);
    expect(parseRunStatus('finished')).toBe('FINISHED');
    expect(() => parseRunStatus('DONE')).toThrow(/"DONE" is not one of/);
    expect(parseKeyValue('param', 'lr=0.1=x')).toEqual(['lr', '0.1=x']);
    expect(() => parseKeyValue('tag', 'novalue')).toThrow(/KEY=VALUE/);
  });
});
