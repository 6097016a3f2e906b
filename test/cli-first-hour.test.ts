// Issue 22, items 9 and 10: a typo never creates a FAILED run, and a command that fails (or only
// reads) never creates a store.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectError, mlx, mlxJson, tempProject } from './helpers/cli.js';

const T = 60_000;

describe('item 9: mlx run with a command that is not found', () => {
  it(
    '`mlx run list` is refused before any run exists, suggesting `mlx runs list`; exit 127 as a shell would',
    () => {
      const dir = tempProject('mlx-run-typo-');
      expectError(mlx(dir, ['run', 'list']), 127, 'command not found: list; did you mean `mlx runs list`? (no run was created)');
      expectError(mlx(dir, ['run', 'show', 'abc123']), 127, 'did you mean `mlx runs show abc123`?');
      expectError(mlx(dir, ['run', 'models', 'list']), 127, 'did you mean `mlx models list`?');
      expectError(mlx(dir, ['run', '--', 'no-such-trainer-xyz', '--epochs', '3']), 127, 'command not found: no-such-trainer-xyz (no run was created)');
      expectError(mlx(dir, ['run', '--', './train.sh']), 127, 'command not found: ./train.sh');
      // Nothing was created: no store, so no run.
      expect(fs.existsSync(path.join(dir, '.mlx'))).toBe(false);
      // With a store, still no run.
      mlxJson(dir, ['experiments', 'create', 'x']);
      expectError(mlx(dir, ['run', '-e', 'x', 'list']), 127, 'mlx runs list');
      expect(mlxJson(dir, ['runs', 'list', '-e', 'x']).runs).toEqual([]);
      // A script that exists but is not executable is not found either (the OS could not run it).
      fs.writeFileSync(path.join(dir, 'train.sh'), 'echo hi\n');
      expectError(mlx(dir, ['run', '--', './train.sh']), 127, 'command not found: ./train.sh');
      fs.chmodSync(path.join(dir, 'train.sh'), 0o755);
      fs.writeFileSync(path.join(dir, 'train.sh'), '#!/bin/sh\necho trained\n');
      const ok = mlx(dir, ['run', '-e', 'x', '--', './train.sh']);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toBe('trained\n');
    },
    T,
  );
});

describe('item 10: reading or failing commands never create a store', () => {
  it(
    '`mlx ui` on a port in use fails in one line and leaves no ./.mlx; list commands leave none either',
    async () => {
      const dir = tempProject('mlx-ui-busy-');
      const busy = net.createServer();
      await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
      const port = (busy.address() as net.AddressInfo).port;
      try {
        expectError(mlx(dir, ['ui', '--port', String(port)]), 1, `port ${port} on 127.0.0.1 is in use; pick another with --port`);
        expectError(mlx(dir, ['server', '--port', String(port)]), 1, 'is in use');
      } finally {
        busy.close();
      }
      for (const args of [
        ['runs', 'list'],
        ['experiments', 'list'],
        ['models', 'list'],
      ])
        expect(mlx(dir, args).code, args.join(' ')).toBe(0);
      expect(fs.readdirSync(dir)).toEqual([]);
    },
    T,
  );
});
