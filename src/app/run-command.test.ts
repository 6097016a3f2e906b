import { describe, expect, it } from 'vitest';
import { ProtocolFilter } from './run-command.js';

function run(chunks: string[]): { shown: string; lines: string[] } {
  const lines: string[] = [];
  const f = new ProtocolFilter((l) => lines.push(l));
  let shown = chunks.map((c) => f.push(c)).join('');
  shown += f.end();
  return { shown, lines: lines.filter((l) => l !== '') };
}

describe('ProtocolFilter', () => {
  it('hides complete ::mlx lines and passes everything else through', () => {
    const r = run(['epoch 1\n::mlx metric loss=0.5 step=1\nepoch 2\n']);
    expect(r.shown).toBe('epoch 1\nepoch 2\n');
    expect(r.lines).toEqual(['epoch 1', '::mlx metric loss=0.5 step=1', 'epoch 2']);
  });

  it('finds protocol lines split across chunks at any point', () => {
    const text = 'a\n::mlx metric x=1\nb\n::mlx tag t=v';
    for (let i = 1; i < text.length; i++) {
      const r = run([text.slice(0, i), text.slice(i)]);
      expect(r.shown, `split at ${i}`).toBe('a\nb\n');
      expect(r.lines).toContain('::mlx metric x=1');
      expect(r.lines).toContain('::mlx tag t=v');
    }
  });

  it('passes partial lines such as progress bars through at once', () => {
    const lines: string[] = [];
    const f = new ProtocolFilter((l) => lines.push(l));
    expect(f.push('progress 10%\r')).toBe('progress 10%\r');
    expect(f.push('progress 20%\r')).toBe('progress 20%\r');
    expect(f.push(':')).toBe(':');
    expect(f.push(':mlx metric a=1\n')).toBe(':mlx metric a=1\n');
    expect(f.push('::ml')).toBe('');
    expect(f.push('xy, not a command\n')).toBe('::mlxy, not a command\n');
    expect(f.push('::mlx param p=1\r\n')).toBe('');
  });
});
