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
    // file: without an authority, as MLflow users write it: relative stays relative.
    expect(resolveTrackingUri({ flag: 'file:./rel', cwd })).toBe(path.resolve(cwd, 'rel'));
    expect(resolveTrackingUri({ flag: 'file:/srv/x', cwd })).toBe('/srv/x');
  });

  it('sqlite:/// names the store folder of an mlx.db (SQLAlchemy: three slashes relative, four absolute); other names are refused', () => {
    expect(resolveTrackingUri({ flag: 'sqlite:///tmp/mlx.db', cwd })).toBe(path.resolve(cwd, 'tmp'));
    expect(resolveTrackingUri({ flag: 'sqlite:////srv/mlflow/mlx.db', cwd })).toBe('/srv/mlflow');
    expect(() => resolveTrackingUri({ flag: 'sqlite:////srv/mlflow.db', cwd })).toThrow(
      'tracking URI "sqlite:////srv/mlflow.db": mlx keeps its SQLite store as a folder holding mlx.db, with the artifacts and model files beside it; give sqlite:////srv/mlflow/mlx.db (the store folder "/srv/mlflow")',
    );
    expect(() => resolveTrackingUri({ flag: 'sqlite://', cwd })).toThrow('is not a SQLite file URI mlx can keep a store at');
    expect(() => resolveTrackingUri({ flag: 'sqlite:///x.db?mode=ro', cwd })).toThrow('is not a SQLite file URI mlx can keep a store at');
  });

  it('refuses a scheme no backend serves', () => {
    for (const uri of ['s3://bucket/mlx', 'http:/missing-slash'])
      expect(() => resolveTrackingUri({ flag: uri, cwd })).toThrow(/has an unknown scheme; give a folder path for a local store/);
  });
});
