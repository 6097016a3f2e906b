import { describe, expect, it } from 'vitest';
import { parseModelUri, parseRegistryRef } from './uri.js';

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
