import { describe, expect, it } from 'vitest';
import { MlxError } from './errors.js';
import { renderTemplate } from './template.js';

describe('renderTemplate', () => {
  it('fills placeholders once: a value holding {{x}} is not rendered again', () => {
    expect(renderTemplate('a {{x}} b {{ y }}', { x: '{{y}}', y: '2' })).toBe('a {{y}} b 2');
  });

  it('a placeholder inside a line takes no control character: a line break there would end a comment', () => {
    for (const bad of ['nl\nRUN id', 'cr\rx', 'ls\u2028x', 'nel\u0085x', 'esc\u001b[2J', 'tab\tx']) {
      expect(() => renderTemplate('# {{name}}: a comment\nFROM node\n', { name: bad }, 'templates/x')).toThrow(MlxError);
      expect(() => renderTemplate('key: "{{v}}"\n', { v: bad })).toThrow(/\{\{v\}\} holds a control character/);
    }
  });

  it('a placeholder alone on its line (several side by side too) takes a block of lines', () => {
    expect(renderTemplate('a\n{{block}}\n  {{one}}{{two}}\nz', { block: 'x\ny', one: 'p\n', two: 'q' })).toBe('a\nx\ny\n  p\nq\nz');
  });
});
