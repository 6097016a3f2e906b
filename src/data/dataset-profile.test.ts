import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { profileDataset } from './dataset-profile.js';

function write(name: string, text: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-ds-')), name);
  fs.writeFileSync(file, text);
  return file;
}

describe('profileDataset', () => {
  it('profiles CSV: digest, size, rows and widened column types', async () => {
    const text = 'id,x,flag,name,empty\n1,0.5,true,"a, b",\n2,3,false,c,\n';
    const p = await profileDataset(write('d.csv', text));
    expect(p.digest).toBe(createHash('sha256').update(text).digest('hex'));
    expect(p.size).toBe(Buffer.byteLength(text));
    expect(p.num_rows).toBe(2);
    expect(p.columns).toEqual([
      { name: 'id', type: 'integer' },
      { name: 'x', type: 'double' },
      { name: 'flag', type: 'boolean' },
      { name: 'name', type: 'string' },
      { name: 'empty', type: 'null' },
    ]);
  });

  it('profiles JSON lines and other files', async () => {
    const p = await profileDataset(write('d.jsonl', '{"a":1,"b":"x"}\n{"a":2.5,"c":null}\n'));
    expect(p.num_rows).toBe(2);
    expect(p.columns).toEqual([
      { name: 'a', type: 'double' },
      { name: 'b', type: 'string' },
      { name: 'c', type: 'null' },
    ]);
    const bin = await profileDataset(write('w.bin', '\x00\x01'));
    expect(bin).toMatchObject({ format: 'file', size: 2 });
    expect(bin.num_rows).toBeUndefined();
  });

  it('explains missing files and bad JSON lines', async () => {
    await expect(profileDataset('/nonexistent/x.csv')).rejects.toThrow(/"\/nonexistent\/x.csv" does not exist/);
    await expect(profileDataset(write('d.jsonl', '{"a":1}\nnope\n'))).rejects.toThrow(/line 2 is not valid JSON/);
  });
});
