import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveTrackingUri } from './open-store.js';

describe('resolveTrackingUri: the schemes of the store table, else a folder', () => {
  const cwd = '/work/project';

  it('passes the URIs of remote backends through as given', () => {
    for (const uri of ['http://127.0.0.1:5000', 'HTTPS://mlx.example.com', 'postgresql://me@db/mlx', 'postgres://db/mlx'])
      expect(resolveTrackingUri({ flag: uri, cwd })).toBe(uri);
  });

  it('resolves folders and file:// URIs against the current directory', () => {
    expect(resolveTrackingUri({ flag: 'store', cwd })).toBe(path.resolve(cwd, 'store'));
    expect(resolveTrackingUri({ flag: 'file:///srv/mlx/.mlx', cwd })).toBe('/srv/mlx/.mlx');
    expect(resolveTrackingUri({ env: { MLX_TRACKING_URI: './x' }, cwd })).toBe(path.resolve(cwd, 'x'));
  });

  it('refuses a scheme no backend serves', () => {
    for (const uri of ['s3://bucket/mlx', 'sqlite:///tmp/mlx.db', 'http:/missing-slash'])
      expect(() => resolveTrackingUri({ flag: uri, cwd })).toThrow(/has an unknown scheme; give a folder path for a local store/);
  });
});
