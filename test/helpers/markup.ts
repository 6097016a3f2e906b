// A small well-formedness checker for the HTML and SVG that mlx writes (no parser dependency):
// tags balance, attributes are quoted, entities are known. XML mode (SVG) also refuses HTML's
// unclosed void elements. Returns the problems found, empty when the markup is well formed.

const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);
const RAW_TEXT = new Set(['script', 'style']);
const ENTITY = /^&(?:[a-zA-Z][a-zA-Z0-9]*|#[0-9]+|#x[0-9a-fA-F]+);/;
const ATTR = /^\s+([^\s"'<>/=]+)(?:\s*=\s*(?:"[^"]*"|'[^']*'))?/;

export function markupProblems(text: string, mode: 'html' | 'xml'): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  let i = 0;
  const where = () => `at ${i} (${JSON.stringify(text.slice(i, i + 40))})`;
  while (i < text.length && problems.length < 10) {
    const ch = text[i];
    if (ch === '&') {
      if (!ENTITY.test(text.slice(i, i + 40))) problems.push(`bad entity ${where()}`);
      i++;
      continue;
    }
    if (ch !== '<') {
      i++;
      continue;
    }
    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i);
      if (end < 0) return [...problems, `unclosed comment ${where()}`];
      i = end + 3;
      continue;
    }
    if (/^<!doctype html>/i.test(text.slice(i, i + 15))) {
      if (mode === 'xml') problems.push(`doctype in XML ${where()}`);
      i += 15;
      continue;
    }
    const close = /^<\/([a-zA-Z][\w:-]*)\s*>/.exec(text.slice(i));
    if (close) {
      const name = close[1].toLowerCase();
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${open ?? 'nothing'}> ${where()}`);
      i += close[0].length;
      continue;
    }
    const open = /^<([a-zA-Z][\w:-]*)/.exec(text.slice(i));
    if (!open) {
      problems.push(`stray < ${where()}`);
      i++;
      continue;
    }
    const name = open[1].toLowerCase();
    let j = i + open[0].length;
    for (let m = ATTR.exec(text.slice(j)); m; m = ATTR.exec(text.slice(j))) {
      if (mode === 'xml' && !m[0].includes('=')) problems.push(`attribute ${m[1]} without a value ${where()}`);
      j += m[0].length;
    }
    const end = /^\s*(\/?)>/.exec(text.slice(j));
    if (!end) {
      problems.push(`malformed <${name}> ${where()}`);
      i = j;
      continue;
    }
    i = j + end[0].length;
    if (end[1] === '/') continue;
    if (mode === 'html' && VOID.has(name)) continue;
    if (mode === 'html' && RAW_TEXT.has(name)) {
      const stop = text.toLowerCase().indexOf(`</${name}`, i);
      if (stop < 0) return [...problems, `unclosed <${name}>`];
      i = stop;
    }
    stack.push(name);
  }
  if (stack.length) problems.push(`unclosed ${stack.map((s) => `<${s}>`).join(' ')}`);
  return problems;
}

/** Every <svg>…</svg> element of a document, in order. */
export function svgElements(html: string): string[] {
  return html.match(/<svg\b[\s\S]*?<\/svg>/g) ?? [];
}
