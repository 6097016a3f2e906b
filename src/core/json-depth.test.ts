import { describe, expect, it } from 'vitest';
import { jsonNestsDeeperThan, MAX_JSON_DEPTH } from './json-depth.js';

const both = (text: string, max?: number) => {
  const s = jsonNestsDeeperThan(text, max);
  expect(jsonNestsDeeperThan(Buffer.from(text, 'utf8'), max), `bytes of ${text.slice(0, 40)}`).toBe(s);
  return s;
};

describe('jsonNestsDeeperThan', () => {
  it('counts arrays and objects together, up to and past the limit', () => {
    expect(MAX_JSON_DEPTH).toBe(100);
    expect(both('[]'.repeat(1000))).toBe(false);
    expect(both(`${'['.repeat(100)}${']'.repeat(100)}`)).toBe(false);
    expect(both(`${'['.repeat(101)}${']'.repeat(101)}`)).toBe(true);
    expect(both(`${'{"a":'.repeat(60)}${'['.repeat(41)}1${']'.repeat(41)}${'}'.repeat(60)}`)).toBe(true);
    expect(both('{"a":[{"b":[1]}]}', 4)).toBe(false);
    expect(both('{"a":[{"b":[1]}]}', 3)).toBe(true);
  });

  it('skips brackets inside strings, escaped quotes and backslashes included', () => {
    expect(both(JSON.stringify({ s: '['.repeat(500) }))).toBe(false);
    expect(both(JSON.stringify({ s: `\\"${'{'.repeat(500)}` }))).toBe(false);
    expect(both(JSON.stringify({ s: 'a\\', t: '['.repeat(500) }))).toBe(false);
    expect(both(JSON.stringify({ s: 'é😀"[[[' }), 1)).toBe(false);
    expect(both(`["\\\\"${',['.repeat(5)}`, 4)).toBe(true);
  });

  it('leaves malformed text to JSON.parse', () => {
    expect(both('"unterminated [[[[[[', 2)).toBe(false);
    expect(both(']]]]]]', 1)).toBe(false);
  });
});
