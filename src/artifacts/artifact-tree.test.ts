// ArtifactTree on real folders and links: what is followed, what reads as missing, and a folder
// swapped for a link between the check before an upload and the rename after it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArtifactTree } from './artifact-tree.js';

let dir: string;
let root: string;
let out: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-tree-'));
  root = path.join(dir, 'root');
  out = path.join(dir, 'out');
  fs.mkdirSync(path.join(root, 'run', 'sub'), { recursive: true });
  fs.mkdirSync(path.join(root, '_reserved'), { recursive: true });
  fs.mkdirSync(out);
  fs.writeFileSync(path.join(root, 'run', 'a.txt'), 'aaa');
  fs.writeFileSync(path.join(out, 'secret.txt'), 'secret');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const tree = () => new ArtifactTree(root, ['_reserved']);
const tmpFile = (text: string) => {
  const f = path.join(root, `tmp-${Math.random()}`);
  fs.writeFileSync(f, text);
  return f;
};

describe('ArtifactTree', () => {
  it('reads follow links that stay inside; links out, broken links and reserved folders read as missing', () => {
    fs.symlinkSync(path.join(root, 'run', 'a.txt'), path.join(root, 'run', 'in.txt'));
    fs.symlinkSync(path.join(out, 'secret.txt'), path.join(root, 'run', 'out.txt'));
    fs.symlinkSync(path.join(dir, 'nowhere'), path.join(root, 'run', 'broken'));
    fs.symlinkSync(path.join(root, '_reserved'), path.join(root, 'run', 'res'));
    const t = tree();
    const f = t.openFile(['run', 'in.txt'])!;
    expect(fs.readFileSync(f.fd, 'utf8')).toBe('aaa');
    fs.closeSync(f.fd);
    for (const names of [['run', 'out.txt'], ['run', 'broken'], ['run', 'res'], ['_reserved'], ['run', 'missing']]) {
      expect(t.openFile(names), names.join('/')).toBeNull();
      expect(t.find(names), names.join('/')).toBeNull();
    }
    expect(t.list(['run'])).toEqual({
      dir: [
        { name: 'a.txt', is_dir: false, file_size: 3 },
        { name: 'in.txt', is_dir: false, file_size: 3 },
        { name: 'sub', is_dir: true },
      ],
    });
    expect(t.list([])).toEqual({ dir: [{ name: 'run', is_dir: true }] });
  });

  it('a folder swapped for a link out of the root while the body was arriving: refused at the rename, nothing written outside', () => {
    const t = tree();
    t.checkWrite(['run', 'sub', 'new.txt'], 'artifact path "run/sub/new.txt"');
    fs.rmSync(path.join(root, 'run', 'sub'), { recursive: true });
    fs.symlinkSync(out, path.join(root, 'run', 'sub'));
    const tmp = tmpFile('pwned');
    expect(() => t.commitWrite(['run', 'sub', 'new.txt'], tmp, 'artifact path "run/sub/new.txt"')).toThrow(/symbolic link that leads out of the artifact root/);
    expect(fs.readdirSync(out)).toEqual(['secret.txt']);
  });

  it('writes make missing folders, replace a link at the destination (never write through it), refuse a folder there', () => {
    const t = tree();
    fs.symlinkSync(path.join(out, 'secret.txt'), path.join(root, 'run', 'link.txt'));
    t.commitWrite(['run', 'link.txt'], tmpFile('mine'), 'x');
    expect(fs.lstatSync(path.join(root, 'run', 'link.txt')).isFile()).toBe(true);
    expect(fs.readFileSync(path.join(out, 'secret.txt'), 'utf8')).toBe('secret');
    t.commitWrite(['run', 'new', 'deep', 'f.txt'], tmpFile('deep'), 'x');
    expect(fs.readFileSync(path.join(root, 'run', 'new', 'deep', 'f.txt'), 'utf8')).toBe('deep');
    expect(() => t.checkWrite(['run', 'sub'], 'artifact path "run/sub"')).toThrow(/is a folder/);
    expect(() => t.checkWrite(['run', 'a.txt', 'x'], 'artifact path "run/a.txt/x"')).toThrow(/"run\/a.txt" is a file, not a folder/);
    expect(() => t.checkWrite(['_reserved', 'x'], 'artifact path "_reserved/x"')).toThrow(/_reserved/);
  });

  it('remove takes a link away, never its target; through a link out of the root it refuses', () => {
    fs.symlinkSync(out, path.join(root, 'run', 'outdir'));
    const t = tree();
    expect(() => t.remove(['run', 'outdir', 'secret.txt'], 'artifact "run/outdir/secret.txt"')).toThrow(/leads out of the artifact root/);
    t.remove(['run', 'outdir'], 'artifact "run/outdir"');
    expect(fs.existsSync(path.join(root, 'run', 'outdir'))).toBe(false);
    expect(fs.readFileSync(path.join(out, 'secret.txt'), 'utf8')).toBe('secret');
    expect(() => t.remove(['run', 'gone'], 'artifact "run/gone"')).toThrow(/does not exist/);
    expect(() => t.remove(['_reserved'], 'artifact "_reserved"')).toThrow(/_reserved/);
  });
});
