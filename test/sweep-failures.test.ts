// Issue 22, item 7: a sweep of a broken command stops after a few failures in a row instead of
// running every trial, and says why each failed by its first error line.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectError, mlx, mlxJson, tempProject } from './helpers/cli.js';

const T = 90_000;
const NODE = process.execPath;

describe('mlx sweep with a broken command', () => {
  it(
    'stops after 3 failures in a row (exit 1, the rest left for --resume), each named by its first error line',
    () => {
      const dir = tempProject('mlx-sweep-broken-');
      // A traceback-like failure: the cause comes first, noise after it, as Python prints.
      fs.writeFileSync(
        path.join(dir, 'train.mjs'),
        [
          "console.error('Traceback (most recent call last):');",
          'console.error(\'  File "train.py", line 3, in <module>\');',
          'console.error("ModuleNotFoundError: No module named \'torch\'");',
          "console.error('cleanup: done');",
          'process.exit(1);',
        ].join('\n'),
      );
      const r = mlx(dir, ['sweep', '--json', '--param', 'lr=1,2,3,4,5,6,7,8,9,10', '--', NODE, 'train.mjs', '--lr', '{lr}']);
      expect(r.code, r.stderr).toBe(1);
      const doc = JSON.parse(r.stdout);
      expect(doc).toMatchObject({ status: 'FAILED', stopped_by: 'max-failures', pending: 7, counts: { failed: 3, not_started: 7 } });
      const failures = r.stderr.split('\n').filter((l) => / FAILED /.test(l));
      expect(failures).toHaveLength(3);
      for (const l of failures) expect(l).toMatch(/: ModuleNotFoundError: No module named 'torch'$/);
      expect(r.stderr).toContain('mlx: 3 runs in a row failed: stopping the sweep (check the command; --max-failures N to allow more, 0 for no limit)');
      expect(r.stderr).toContain(`mlx sweep --resume ${doc.parent_run_id}`);

      // --max-failures 0 runs them all; a bad value is a usage error.
      const all = mlx(dir, ['sweep', '--json', '--max-failures', '0', '--param', 'lr=1,2,3,4', '--', NODE, 'train.mjs']);
      expect(JSON.parse(all.stdout)).toMatchObject({ stopped_by: null, counts: { failed: 4 } });
      expectError(mlx(dir, ['sweep', '--max-failures', 'x', '--param', 'lr=1', '--', NODE, 'train.mjs']), 2, '--max-failures "x"');
    },
    T,
  );

  it(
    'a command that is not found is refused before the sweep starts: exit 127, no run',
    () => {
      const dir = tempProject('mlx-sweep-missing-');
      expectError(mlx(dir, ['sweep', '--param', 'lr=1,2', '--', 'pythonn', 'train.py']), 127, 'command not found: pythonn (no sweep was started)');
      expect(fs.existsSync(path.join(dir, '.mlx'))).toBe(false);
      mlxJson(dir, ['experiments', 'create', 'e']);
      expectError(mlx(dir, ['sweep', '-e', 'e', '--param', 'lr=1,2', '--', './nope.sh']), 127, 'command not found: ./nope.sh');
      expect(mlxJson(dir, ['runs', 'list', '--view', 'all', '-e', 'e']).runs).toEqual([]);
    },
    T,
  );
});
