import { describe, expect, it } from 'vitest';
import { isHttpUri, isPostgresUri, parseModelUri, parseProxyUri, parseRegistryRef, redactUri, schemeOf, trackingUriPath, uriScheme } from './uri.js';

describe('model URIs', () => {
  it('parses every form', () => {
    expect(parseModelUri('models:/clf/3')).toEqual({ kind: 'registry', name: 'clf', selector: { version: 3 } });
    expect(parseModelUri('models:/clf@champion')).toEqual({ kind: 'registry', name: 'clf', selector: { alias: 'champion' } });
    expect(parseModelUri('models:/clf/latest')).toEqual({ kind: 'registry', name: 'clf', selector: { latest: true } });
    expect(parseModelUri('runs:/0123abcd/model/model.onnx')).toEqual({ kind: 'run', runId: '0123abcd', path: 'model/model.onnx' });
    expect(parseModelUri('./model.onnx')).toEqual({ kind: 'file', path: './model.onnx' });
    expect(parseModelUri('C:model.onnx')).toEqual({ kind: 'file', path: 'C:model.onnx' });
  });

  it('refuses malformed URIs, naming them', () => {
    expect(() => parseModelUri('models:/clf')).toThrow(/"clf" needs a version: clf\/3, clf@ALIAS or clf\/latest/);
    expect(() => parseModelUri('models:/clf/three')).toThrow(/version "three" is not a positive integer/);
    expect(() => parseModelUri('models:/clf/0')).toThrow(/version "0"/);
    expect(() => parseModelUri('models:/bad name/1')).toThrow(/model name "bad name"/);
    expect(() => parseModelUri('runs:/xyz/model')).toThrow(/runs:\/RUN_ID\/PATH/);
    expect(() => parseModelUri('s3://bucket/model.onnx')).toThrow(/unknown scheme/);
    expect(() => parseModelUri('models:/clf@')).toThrow(/empty alias/);
  });

  it('takes bare names in registry references when asked', () => {
    expect(parseRegistryRef('clf', { allowBare: true })).toEqual({ name: 'clf', selector: null });
  });
});

describe('schemes', () => {
  it('tells servers, databases and paths apart', () => {
    expect([isHttpUri('HTTP://h:5000'), isHttpUri('https://h'), isHttpUri('http:h'), isHttpUri('./http')]).toEqual([true, true, false, false]);
    expect([isPostgresUri('postgresql://u@h/db'), isPostgresUri('Postgres://h/db'), isPostgresUri('postgresql:db')]).toEqual([true, true, false]);
    expect([uriScheme('HTTPS://h'), uriScheme('postgres://h/db'), uriScheme('s3:bucket'), uriScheme('/a/b')]).toEqual(['https', 'postgres', null, null]);
    expect([schemeOf('file:/a'), schemeOf('Mlflow-Artifacts:/1'), schemeOf('C:\\runs'), schemeOf('runs/x:y')]).toEqual([
      'file',
      'mlflow-artifacts',
      null,
      null,
    ]);
  });

  it('reads the folder of a file:// tracking URI as written', () => {
    expect(trackingUriPath('file:///tmp/a%20b/.mlx')).toBe('/tmp/a%20b/.mlx');
    expect(trackingUriPath('./.mlx')).toBe('./.mlx');
  });

  it('redacts passwords, in the user part or the query', () => {
    expect(redactUri('postgresql://me:secret@db:5432/mlx?password=x&sslmode=require')).toBe('postgresql://me@db:5432/mlx');
    expect(redactUri('http://h:5000/')).toBe('http://h:5000');
    expect(redactUri('/home/me/.mlx')).toBe('/home/me/.mlx');
    expect(redactUri('postgresql://me:se cret@[bad/db')).not.toContain('se cret');
  });

  it('splits mlflow-artifacts: URIs into host and proxy path', () => {
    expect(parseProxyUri('mlflow-artifacts:/1/abc/artifacts/')).toEqual({ path: '1/abc/artifacts' });
    expect(parseProxyUri('mlflow-artifacts://srv:5000/1/abc')).toEqual({ host: 'srv:5000', path: '1/abc' });
    expect(parseProxyUri('mlflow-artifacts:')).toEqual({ path: '' });
    expect(parseProxyUri('mlflow-artifacts:x')).toBeNull();
    expect(parseProxyUri('/tmp/x')).toBeNull();
  });
});
