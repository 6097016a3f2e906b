// The escaping every generated file relies on (issue 17, item 10): one visible line for any text, and
// quoted strings that JSON, YAML 1.2 (the yaml package) and YAML 1.1 (PyYAML, docker-compose v1) all
// read back as the same value.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { escapeControlChars, findControlChar, quoteJson, safeJson } from './control-chars.js';

const NASTY = 'a\nb\rc\r\nd\te\u0000f\u001bg\u007fh\u0085i\u009bj\u2028k\u2029l\u202em\u2066n "q" \'s\' \\ $x {{y}} # z: - [w]';

describe('escapeControlChars', () => {
  it('writes each control character as an escape and leaves everything else as it is', () => {
    expect(escapeControlChars('nl\nRUN id')).toBe('nl\\nRUN id');
    expect(escapeControlChars('a\r\n\t\u0085\u2028\u2029\u202e\u001b')).toBe('a\\r\\n\\t\\u0085\\u2028\\u2029\\u202e\\u001b');
    expect(escapeControlChars('plain "text" with \\ and $ and ü and 日本')).toBe('plain "text" with \\ and $ and ü and 日本');
    expect(findControlChar(escapeControlChars(NASTY))).toBeNull();
    expect(escapeControlChars(NASTY).split(/\r\n|[\n\r\v\f\u0085\u2028\u2029]/)).toHaveLength(1);
  });

  it('keeps the characters it is told to keep', () => {
    expect(escapeControlChars('a\nb\tc\rd', '\n\t')).toBe('a\nb\tc\\rd');
  });
});

describe('quoteJson and safeJson', () => {
  it('give one line that JSON and YAML 1.2 read back as the value', () => {
    const q = quoteJson(NASTY);
    expect(findControlChar(q)).toBeNull();
    expect(JSON.parse(q)).toBe(NASTY);
    expect(parseYaml(`key: ${q}\n`)).toEqual({ key: NASTY });
    expect(JSON.parse(safeJson({ [NASTY]: [NASTY] }, 2))).toEqual({ [NASTY]: [NASTY] });
    expect(findControlChar(safeJson({ [NASTY]: [NASTY] }, 2).replace(/\n/g, ''))).toBeNull();
  });

  it('give a scalar that YAML 1.1 (PyYAML, as docker-compose v1 reads compose files) reads back as the value', () => {
    // PyYAML takes NEL, U+2028 and U+2029 as line breaks and refuses raw C1 controls: they must arrive escaped.
    const py = spawnSync('python3', ['-c', 'import sys, yaml, json; print(json.dumps(yaml.safe_load(sys.stdin.read())["key"]))'], {
      input: `key: ${quoteJson(NASTY)}\n`,
      encoding: 'utf8',
    });
    if (py.error) throw new Error(`python3 with PyYAML is needed (it is how docker-compose v1 reads YAML): ${py.error.message}`);
    expect(py.status, py.stderr).toBe(0);
    expect(JSON.parse(py.stdout)).toBe(NASTY);
    // JSON.stringify alone is not enough for YAML 1.1: PyYAML folds a raw NEL into a space.
    const raw = spawnSync('python3', ['-c', 'import sys, yaml, json; print(json.dumps(yaml.safe_load(sys.stdin.read())["key"]))'], {
      input: `key: ${JSON.stringify('a\u0085b')}\n`,
      encoding: 'utf8',
    });
    expect(JSON.parse(raw.stdout)).toBe('a b');
  });
});
