// A small Markdown renderer for model cards that builds DOM nodes, never HTML strings: raw HTML
// in the text shows as text, and links keep only http(s), mailto and relative targets.
// Covers what cards use: headings, paragraphs, lists, tables, fenced code, quotes, rules,
// and inline code, bold, italics, links.
import { h, safeHref } from './dom.js';

/** Renders Markdown text into a <div class="markdown">. */
export function renderMarkdown(text) {
  return h(
    'div',
    { class: 'markdown' },
    blocks(
      String(text ?? '')
        .replace(/\r\n?/g, '\n')
        .split('\n'),
      0,
    ),
  );
}

// Quotes, lists and emphasis nested deeper than this show as text: each level is a recursive call,
// and a card of 10,000 '>' (or '_a ') overflowed the stack, 2,000 nested list items took seconds a
// level. markdown-it's default maxNesting is the same 20; real cards nest two or three deep.
const MAX_NESTING = 20;

const isTableSep = (line) => /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/.test(line ?? '');
const LIST = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/;

function blocks(lines, depth) {
  const out = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    let m;
    if (/^\s*$/.test(line)) {
      i++;
    } else if ((m = /^\s*(`{3,}|~{3,})\s*([\w+-]*)/.exec(line))) {
      const fence = m[1];
      const code = [];
      for (i++; i < lines.length && !lines[i].trim().startsWith(fence); i++) code.push(lines[i]);
      i++;
      out.push(h('pre', null, h('code', { class: m[2] ? `language-${m[2]}` : null }, code.join('\n'))));
    } else if ((m = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line))) {
      out.push(h(`h${m[1].length}`, null, inline(m[2], depth)));
      i++;
    } else if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) {
      out.push(h('hr'));
      i++;
    } else if (line.includes('|') && isTableSep(lines[i + 1])) {
      const head = cells(line);
      const align = cells(lines[i + 1]).map((c) => (c.endsWith(':') ? (c.startsWith(':') ? 'center' : 'right') : null));
      const rows = [];
      for (i += 2; i < lines.length && lines[i].includes('|') && lines[i].trim() !== ''; i++) rows.push(cells(lines[i]));
      const td = (tag, c, j) => h(tag, { class: align[j] ? `align-${align[j]}` : null }, inline(c ?? '', depth));
      out.push(
        h(
          'table',
          { class: 'grid' },
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              head.map((c, j) => td('th', c, j)),
            ),
          ),
          h(
            'tbody',
            null,
            rows.map((r) =>
              h(
                'tr',
                null,
                head.map((_, j) => td('td', r[j], j)),
              ),
            ),
          ),
        ),
      );
    } else if (/^\s{0,3}>/.test(line)) {
      const quoted = [];
      for (; i < lines.length && /^\s{0,3}>/.test(lines[i]); i++) quoted.push(lines[i].replace(/^\s{0,3}>\s?/, ''));
      out.push(h('blockquote', null, depth + 1 < MAX_NESTING ? blocks(quoted, depth + 1) : h('p', null, quoted.join('\n'))));
    } else if (LIST.test(line)) {
      const r = list(lines, i, depth + 1);
      out.push(r.node);
      i = r.next;
    } else {
      const para = [];
      for (; i < lines.length && lines[i].trim() !== '' && !startsBlock(lines, i); i++) para.push(lines[i].trim());
      if (!para.length) para.push(lines[i++].trim());
      out.push(h('p', null, inline(para.join('\n'), depth)));
    }
  }
  return out;
}

function startsBlock(lines, i) {
  const l = lines[i];
  return /^\s*(`{3,}|~{3,})/.test(l) || /^\s{0,3}#{1,6}\s/.test(l) || /^\s{0,3}>/.test(l) || LIST.test(l) || (l.includes('|') && isTableSep(lines[i + 1]));
}

/** A list starting at lines[start]; items indented deeper than the marker nest (up to MAX_NESTING lists). */
function list(lines, start, depth) {
  const first = LIST.exec(lines[start]);
  const indent = first[1].length;
  const ordered = /\d/.test(first[2]);
  const items = [];
  let i = start;
  while (i < lines.length) {
    const m = LIST.exec(lines[i]);
    if (!m || m[1].length !== indent || /\d/.test(m[2]) !== ordered) break;
    const body = [m[3]];
    for (i++; i < lines.length; i++) {
      const l = lines[i];
      const sub = LIST.exec(l);
      if (l.trim() === '' || (sub && sub[1].length <= indent) || (!sub && !/^\s/.test(l))) break;
      body.push(sub ? l : l.trim());
    }
    const nested = depth < MAX_NESTING ? body.findIndex((l, j) => j > 0 && LIST.test(l)) : -1;
    const text = nested < 0 ? body : body.slice(0, nested);
    items.push(h('li', null, inline(text.join('\n'), depth), nested < 0 ? null : list(body.slice(nested), 0, depth + 1).node));
    while (i < lines.length && lines[i].trim() === '' && LIST.exec(lines[i + 1] ?? '')?.[1].length === indent) i++;
  }
  const start0 = ordered ? parseInt(first[2], 10) : 1;
  return { node: h(ordered ? 'ol' : 'ul', { start: ordered && start0 !== 1 ? start0 : null }, items), next: i };
}

/** Table cells of a row; `\|` is a literal pipe. */
function cells(line) {
  const s = line
    .trim()
    .replace(/^\|/, '')
    .replace(/(^|[^\\])\|$/, '$1');
  return s.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
}

// Every span is bounded (code 2,000 characters, emphasis and link text 500, a URL 2,000; a code span starts only at a whole run of backticks): unbounded,
// a 100 KB description of unclosed "[" took the browser seconds per exec (each start scanned to the
// end). Longer spans show as text.
const INLINE =
  /(\\[\\`*_{}[\]()#+\-.!|>~])|(?<!`)(`+)(?!`)([\s\S]{0,2000}?[^`])\2(?!`)|\*\*([\s\S]{1,500}?)\*\*|__([\s\S]{1,500}?)__|\*([^\s*][\s\S]{0,500}?)\*|\b_([^\s_][\s\S]{0,500}?)_\b|\[([^\]]{0,500})\]\(\s*<?([^)\s>]{0,2000})>?(?:\s+"([^"]{0,1000})")?\s*\)|<(https?:\/\/[^>\s]{1,2000})>|(\n)/;

/** Inline Markdown as an array of nodes and strings (strings become text nodes in h()); depth counts the enclosing levels. */
export function inline(text, depth = 0) {
  if (depth >= MAX_NESTING) return [text];
  const out = [];
  let rest = text;
  while (rest) {
    const m = INLINE.exec(rest);
    if (!m) {
      out.push(rest);
      break;
    }
    if (m.index > 0) out.push(rest.slice(0, m.index));
    rest = rest.slice(m.index + m[0].length);
    if (m[1]) out.push(m[1].slice(1));
    else if (m[2]) out.push(h('code', null, m[3].trim() || m[3]));
    else if (m[4] || m[5]) out.push(h('strong', null, inline(m[4] ?? m[5], depth + 1)));
    else if (m[6] || m[7]) out.push(h('em', null, inline(m[6] ?? m[7], depth + 1)));
    else if (m[9] !== undefined) {
      // The new tab only for links that leave the UI, judged on the link as the browser reads it.
      const href = safeHref(m[9]);
      out.push(h('a', { href, title: m[10], rel: 'noopener noreferrer', target: /^https?:/i.test(href) ? '_blank' : null }, inline(m[8], depth + 1)));
    } else if (m[11]) out.push(h('a', { href: m[11], rel: 'noopener noreferrer', target: '_blank' }, m[11]));
    else if (m[12]) out.push(' '); // a soft line break, as Markdown reads it
  }
  return out;
}
