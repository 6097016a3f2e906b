// `mlx containerize --out DIR --force` (issue 17, item 3): --force replaces only a folder mlx itself wrote
// (it holds a .mlx-build-context file) or an empty one. Every other folder is refused, by name, before
// anything is written or removed: stand-ins for /etc, /usr, /var, /home and /root, an ancestor of HOME,
// a folder holding a git checkout, a symlink to any of those, an old build context without the marker.
// The real /etc, /usr, HOME and / are tried too, by a process running as `nobody`: whatever the guard
// does, that user cannot delete them.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, expectError, mlx, MLX_BIN, tempProject, type CliResult } from '../helpers/cli.js';
import { T, ok, sampleModels, writeFile } from '../helpers/models.js';

const MARKER = '.mlx-build-context';
let dir: string;

beforeAll(() => {
  dir = tempProject('mlx-force-');
  writeFile(dir, 'model.onnx', sampleModels().tabular);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Every path under root with its content (folders and links marked), to compare before and after. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const rel = path.relative(root, p);
      if (e.isSymbolicLink()) out[rel] = `-> ${fs.readlinkSync(p)}`;
      else if (e.isDirectory()) {
        out[`${rel}/`] = '';
        walk(p);
      } else out[rel] = fs.readFileSync(p, 'utf8');
    }
  };
  walk(root);
  return out;
}

/** A folder of the user's, standing in for a system or home folder: a few files and a subfolder. */
function userFolder(rel: string): string {
  const p = path.join(dir, rel);
  writeFile(p, 'passwd', 'root:x:0:0:root:/root:/bin/bash\n');
  writeFile(p, 'notes/todo.txt', 'do not delete me\n');
  return p;
}

/** `mlx containerize model.onnx --out OUT --force` refused with one line naming the folder; the whole project untouched. */
function refusedForce(out: string, env: Record<string, string> = {}, ...mentions: (string | RegExp)[]): string {
  const before = snapshot(dir);
  const line = expectError(mlx(dir, ['containerize', 'model.onnx', '--out', out, '--force'], { env }), 1, ...mentions);
  expect(snapshot(dir), `--out ${out} --force changed something`).toEqual(before);
  return line;
}

describe('--force replaces only a folder mlx wrote, or an empty one', () => {
  it(
    'every build context carries the marker, and --force replaces such a folder whole (files added to it too)',
    () => {
      ok(dir, ['containerize', 'model.onnx', '--out', 'ctx']);
      expect(fs.lstatSync(path.join(dir, 'ctx', MARKER)).isFile()).toBe(true);
      expect(fs.readFileSync(path.join(dir, 'ctx', MARKER), 'utf8')).toMatch(/^# Written by `mlx containerize`/);
      expect(fs.readFileSync(path.join(dir, 'ctx', 'README.md'), 'utf8')).toContain(`\`${MARKER}\``);
      writeFile(dir, 'ctx/stale.txt', 'old');
      ok(dir, ['containerize', 'model.onnx', '--out', 'ctx', '--force', '--k8s']);
      expect(fs.existsSync(path.join(dir, 'ctx/stale.txt'))).toBe(false);
      expect(fs.existsSync(path.join(dir, 'ctx/k8s/deployment.yaml'))).toBe(true);
      expect(fs.existsSync(path.join(dir, 'ctx', MARKER))).toBe(true);
      expect(fs.readdirSync(dir).filter((f) => f.includes('.mlx-'))).toEqual([]);
    },
    T,
  );

  it(
    "the tracking server's context carries the marker too, and --force replaces it",
    () => {
      ok(dir, ['containerize', '--tracking-server', '--out', 'srv']);
      expect(fs.lstatSync(path.join(dir, 'srv', MARKER)).isFile()).toBe(true);
      ok(dir, ['containerize', '--tracking-server', '--out', 'srv', '--force']);
      expect(fs.existsSync(path.join(dir, 'srv', MARKER))).toBe(true);
    },
    T,
  );

  it(
    'an empty folder is replaced with or without --force',
    () => {
      fs.mkdirSync(path.join(dir, 'empty'));
      ok(dir, ['containerize', 'model.onnx', '--out', 'empty', '--force']);
      expect(fs.existsSync(path.join(dir, 'empty/Dockerfile'))).toBe(true);
    },
    T,
  );

  it(
    'folders standing in for /etc, /usr, /var, /home and /root are refused, naming the folder, with nothing removed',
    () => {
      for (const name of ['etc', 'usr', 'var', 'home', 'root']) {
        const p = userFolder(`system/${name}`);
        const line = refusedForce(p, {}, `--out "${p}"`, MARKER, 'choose another --out');
        expect(line).toMatch(/was not written by mlx/);
      }
    },
    T,
  );

  it(
    "a folder that holds a git checkout, a file of the user's, an old build context without the marker",
    () => {
      writeFile(dir, 'projects/repo/.git/HEAD', 'ref: refs/heads/main\n');
      writeFile(dir, 'projects/repo/src/main.c', 'int main(void) { return 0; }\n');
      refusedForce('projects', {}, '--out "projects"', MARKER);
      // A build context the user put a checkout into: never replaced, marker or not.
      ok(dir, ['containerize', 'model.onnx', '--out', 'ctx-with-repo']);
      writeFile(dir, 'ctx-with-repo/vendor/lib/.git/HEAD', 'ref: refs/heads/main\n');
      refusedForce('ctx-with-repo', {}, '--out "ctx-with-repo"', 'vendor/lib', 'git checkout');
      // Written by an mlx that did not mark its folders: the user is told to delete it themselves.
      ok(dir, ['containerize', 'model.onnx', '--out', 'old-ctx']);
      fs.rmSync(path.join(dir, 'old-ctx', MARKER));
      refusedForce('old-ctx', {}, '--out "old-ctx"', MARKER, 'delete the folder yourself');
      // A marker that is a folder or a link is no marker.
      fs.mkdirSync(path.join(dir, 'old-ctx', MARKER));
      refusedForce('old-ctx', {}, '--out "old-ctx"', MARKER);
      fs.rmdirSync(path.join(dir, 'old-ctx', MARKER));
      fs.symlinkSync(path.join(dir, 'ctx', MARKER), path.join(dir, 'old-ctx', MARKER));
      refusedForce('old-ctx', {}, '--out "old-ctx"', MARKER);
    },
    T,
  );

  it(
    'HOME and its ancestors are refused even when they hold a marker; so are the current folder and its parents',
    () => {
      const home = path.join(dir, 'homes', 'alice');
      writeFile(home, '.bashrc', 'export PS1=$\n');
      writeFile(dir, `homes/${MARKER}`, '# Written by `mlx containerize`\n');
      writeFile(home, MARKER, '# Written by `mlx containerize`\n');
      refusedForce(home, { HOME: home }, `--out "${home}"`, 'home folder');
      refusedForce(path.join(dir, 'homes'), { HOME: home }, `--out "${path.join(dir, 'homes')}"`, 'home folder');
      writeFile(dir, MARKER, '# Written by `mlx containerize`\n');
      refusedForce('.', {}, '--out "."', 'current folder');
      fs.rmSync(path.join(dir, MARKER));
    },
    T,
  );

  it(
    'a symlinked --out is judged by the folder it points to: refused for a user folder, the link kept for an mlx folder',
    () => {
      const target = userFolder('linked-target');
      fs.symlinkSync(target, path.join(dir, 'link'));
      refusedForce('link', {}, '--out "link"', target, MARKER);
      // A link to HOME through a relative path.
      fs.symlinkSync('homes/alice', path.join(dir, 'link-home'));
      refusedForce('link-home', { HOME: path.join(dir, 'homes', 'alice') }, '--out "link-home"', 'home folder');
      // A link to a build context: the context is replaced where it is, the link stays a link.
      ok(dir, ['containerize', 'model.onnx', '--out', 'real-ctx']);
      writeFile(dir, 'real-ctx/stale.txt', 'old');
      fs.symlinkSync('real-ctx', path.join(dir, 'ctx-link'));
      ok(dir, ['containerize', 'model.onnx', '--out', 'ctx-link', '--force']);
      expect(fs.lstatSync(path.join(dir, 'ctx-link')).isSymbolicLink()).toBe(true);
      expect(fs.existsSync(path.join(dir, 'real-ctx/stale.txt'))).toBe(false);
      expect(fs.existsSync(path.join(dir, 'real-ctx/Dockerfile'))).toBe(true);
      // A link to nowhere is refused, not replaced by a folder.
      fs.symlinkSync('nowhere', path.join(dir, 'dangling'));
      refusedForce('dangling', {}, '--out "dangling"', 'nowhere');
    },
    T,
  );

  it(
    'the replacement stays atomic: a failure while writing leaves the old context, and the link to it, as they were',
    () => {
      ok(dir, ['containerize', 'model.onnx', '--out', 'kept']);
      writeFile(dir, 'kept/notes.txt', 'mine');
      fs.symlinkSync('kept', path.join(dir, 'kept-link'));
      // npm pack runs after every file is written to the temporary folder: make it fail there.
      const fakeNpm = writeFile(dir, 'fake-npm/npm-cli.js', 'process.stderr.write("disk full\\n"); process.exit(1);\n');
      for (const out of ['kept', 'kept-link']) {
        const before = snapshot(dir);
        const r = mlx(dir, ['containerize', 'model.onnx', '--out', out, '--force', '--k8s'], { env: { npm_execpath: fakeNpm } });
        expect(r.code).toBe(1);
        expect(r.stderr).toContain('disk full');
        expect(snapshot(dir), `--out ${out}`).toEqual(before);
      }
      expect(fs.readFileSync(path.join(dir, 'kept/notes.txt'), 'utf8')).toBe('mine');
      expect(fs.lstatSync(path.join(dir, 'kept-link')).isSymbolicLink()).toBe(true);
    },
    T,
  );
});

describe('the real /etc, /usr, HOME and / (an ancestor of HOME), tried as the unprivileged user nobody', () => {
  const runuser = ['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser'].find((p) => fs.existsSync(p));
  const root = process.getuid?.() === 0;
  let sandbox: string;

  beforeAll(() => {
    // A project nobody can read: the model, and a store folder it may write.
    sandbox = fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-force-nobody-'));
    fs.chmodSync(sandbox, 0o777);
    fs.writeFileSync(path.join(sandbox, 'model.onnx'), sampleModels().tabular, { mode: 0o644 });
  });
  afterAll(() => fs.rmSync(sandbox, { recursive: true, force: true }));

  /** mlx as nobody, with this user's HOME (runuser would set nobody's): a guard that failed would still find every real folder below out of its reach. */
  function asNobody(args: string[]): CliResult {
    const r = spawnSync(runuser!, ['-u', 'nobody', '--', 'env', `HOME=${os.homedir()}`, process.execPath, MLX_BIN, ...args], {
      cwd: sandbox,
      env: cleanEnv(),
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  it.runIf(root && runuser)(
    'each is refused by the guard, naming it, before anything is written',
    () => {
      expect(spawnSync(runuser!, ['-u', 'nobody', '--', 'id', '-u']).stdout.toString().trim()).not.toBe('0');
      const home = os.homedir();
      const cases: [string, string | RegExp][] = [
        ['/etc', MARKER],
        ['/usr', MARKER],
        [home, 'home folder'],
        ['/', 'home folder'],
      ];
      for (const [out, why] of cases) {
        const before = fs.readdirSync(out).sort();
        expectError(asNobody(['containerize', 'model.onnx', '--out', out, '--force']), 1, `--out "${out}"`, why);
        expect(fs.readdirSync(out).sort()).toEqual(before);
        // --dry-run checks the same guard.
        expectError(asNobody(['containerize', 'model.onnx', '--out', out, '--force', '--dry-run']), 1, `--out "${out}"`, why);
      }
      expect(fs.readdirSync('/').filter((f) => f.includes('.mlx-'))).toEqual([]);
    },
    T,
  );
});
