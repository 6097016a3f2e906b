import { describe, expect, it } from 'vitest';
import { hostMatches } from './host-patterns.js';

describe('hostMatches', () => {
  it('a name without a port matches it on any port; with a port, only that port (MLflow: host:port)', () => {
    expect(hostMatches(['mlflow.internal'], 'mlflow.internal')).toBe(true);
    expect(hostMatches(['mlflow.internal'], 'MLFLOW.internal:5000')).toBe(true);
    expect(hostMatches(['mlflow.internal:5000'], 'mlflow.internal:5000')).toBe(true);
    expect(hostMatches(['mlflow.internal:5000'], 'mlflow.internal:5001')).toBe(false);
    expect(hostMatches(['mlflow.internal:5000'], 'mlflow.internal')).toBe(false);
    expect(hostMatches(['mlflow.internal:*'], 'mlflow.internal:1')).toBe(true);
  });

  it('* is a wildcard (fnmatch), dots and brackets are literal', () => {
    expect(hostMatches(['10.*'], '10.1.2.3:80')).toBe(true);
    expect(hostMatches(['10.*'], '100.1.2.3')).toBe(false);
    expect(hostMatches(['*.corp'], 'a.b.corp')).toBe(true);
    expect(hostMatches(['a.corp'], 'aXcorp')).toBe(false);
    expect(hostMatches(['[::1]'], '[::1]:5000')).toBe(true);
    expect(hostMatches(['[::1]'], '[::2]')).toBe(false);
  });

  it('an empty or malformed Host header matches nothing', () => {
    expect(hostMatches(['*'], '')).toBe(false);
    expect(hostMatches(['localhost'], 'localhost:abc')).toBe(false);
    expect(hostMatches(['localhost'], 'localhost:1:2')).toBe(false);
  });
});
