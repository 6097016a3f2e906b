// parseArtifactPath: every spelling that could name another place is refused with a one-line
// message naming the path; reservedName matches names as case-insensitive filesystems would.
import { describe, expect, it } from 'vitest';
import { MlxError } from '../core/errors.js';
import { canonicalName, parseArtifactPath, reservedName } from './artifact-path.js';

const refused = (text: string, o: { trailingSlash?: boolean } = {}) => {
  try {
    parseArtifactPath(text, o);
  } catch (err) {
    expect(err).toBeInstanceOf(MlxError);
    expect((err as MlxError).code).toBe('INVALID_PARAMETER_VALUE');
    expect((err as MlxError).message).not.toContain('\n');
    return (err as MlxError).message;
  }
  throw new Error(`${JSON.stringify(text)} was accepted`);
};

describe('parseArtifactPath', () => {
  it('splits plain paths; one leading "/" is the separator after the route', () => {
    expect(parseArtifactPath('a/b/c.txt')).toEqual(['a', 'b', 'c.txt']);
    expect(parseArtifactPath('/a/b')).toEqual(['a', 'b']);
    expect(parseArtifactPath('')).toEqual([]);
    expect(parseArtifactPath('/')).toEqual([]);
    expect(parseArtifactPath('a/b/', { trailingSlash: true })).toEqual(['a', 'b']);
    // Names that only look odd are names: "...x", "x.", "%2f" (a decoded "%252f"), spaces inside, unicode.
    expect(parseArtifactPath('..x/x./%2f/a b/ü.txt')).toEqual(['..x', 'x.', '%2f', 'a b', 'ü.txt']);
  });

  it('refuses "..", ".", empty names, "\\", control characters, names of dots and spaces, over-long names and paths', () => {
    expect(refused('a/../b')).toMatch(/"a\/..\/b" would escape .* without ".."/);
    expect(refused('..')).toMatch(/".."/);
    expect(refused('./a')).toMatch(/contains "\."/);
    expect(refused('a/.')).toMatch(/contains "\."/);
    expect(refused('a//b')).toMatch(/empty folder name/);
    expect(refused('//a')).toMatch(/empty folder name/);
    expect(refused('a/b/')).toMatch(/empty folder name/);
    expect(refused('a/b//', { trailingSlash: true })).toMatch(/empty folder name/);
    expect(refused('a\\b')).toMatch(/contains a backslash/);
    expect(refused('..\\x')).toMatch(/backslash/);
    expect(refused('a\u0000b')).toMatch(/control character/);
    expect(refused('a\nb')).toMatch(/control character/);
    expect(refused('a/...')).toMatch(/only of dots and spaces/);
    expect(refused('a/. ')).toMatch(/only of dots and spaces/);
    expect(refused(`${'x'.repeat(256)}`)).toMatch(/256 bytes; the limit is 255/);
    expect(refused(`${'é'.repeat(128)}`)).toMatch(/256 bytes/);
    expect(refused(Array.from({ length: 20 }, () => 'y'.repeat(250)).join('/'))).toMatch(/limit is 4096/);
    expect(parseArtifactPath('x'.repeat(255))).toHaveLength(1);
  });

  it('names what it refuses as the caller says', () => {
    expect(() => parseArtifactPath('../x', { what: 'source "mlflow-artifacts:/../x"' })).toThrow(/^source "mlflow-artifacts:\/..\/x" would escape/);
  });
});

describe('reservedName', () => {
  const reserved = ['_mlx-registry', '.mlx-tmp'];
  it('matches in any case, with trailing dots or spaces, an NTFS stream suffix, or fullwidth letters', () => {
    for (const n of ['_mlx-registry', '_MLX-Registry', '_mlx-registry.', '_mlx-registry ', '_mlx-registry::$DATA', '＿ｍｌｘ－ｒｅｇｉｓｔｒｙ'])
      expect(reservedName(n, reserved), n).toBe('_mlx-registry');
    expect(reservedName('.MLX-TMP', reserved)).toBe('.mlx-tmp');
  });
  it('leaves other names alone', () => {
    for (const n of ['_mlx-registry2', 'mlx-registry', '._mlx-registry', '.mlx-tmpx', 'models', undefined])
      expect(reservedName(n, reserved), String(n)).toBeNull();
    expect(canonicalName('Model.ONNX')).toBe('model.onnx');
  });
});
