// Issue 17, item 9: links in model cards (ui/js/markdown.js → safeHref in ui/js/dom.js, the one
// place every href of the web UI goes through). safeHref used to judge the text as written, while
// the browser judges it after the WHATWG URL parser's clean-up: "\x01javascript:" is javascript:
// (only the CSP stopped it), and "\\evil.example/x" or "/\evil.example/x" are links to another
// site. Each variant is checked twice: with Node's URL (the same WHATWG parser) on safeHref's
// answer, and in headless Chromium on the href of the link the renderer made.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlx, ROOT, tempProject } from '../helpers/cli.js';
import { launchBrowser, newPage, startTrackingServer, stopAllServers, type TrackingServer } from '../helpers/ui.js';

const BASE = 'http://127.0.0.1:5000/ui/';

/** Links that must end up inert ('#') or on the UI's own origin: never script, data or another site. */
const HOSTILE = [
  'javascript:alert(1)',
  'JaVaScRiPt:alert(1)',
  ' javascript:alert(1)',
  '\x00javascript:alert(1)',
  '\x01javascript:alert(1)',
  '\x1fjavascript:alert(1)',
  'java\tscript:alert(1)',
  'java\nscript:alert(1)',
  'java\rscript:alert(1)',
  'javascript\t:alert(1)',
  '\tjavascript:alert(1)\t',
  'javascript:alert(1)\x00',
  // As the renderer receives it (it decodes no entities), and as it would arrive decoded.
  '&#x6a;avascript:alert(1)',
  '&#106;avascript:alert(1)',
  'jav&#x09;ascript:alert(1)',
  'vbscript:msgbox(1)',
  'VBScript:msgbox(1)',
  'data:text/html,<script>alert(1)</script>',
  ' data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
  'file:///etc/passwd',
  'blob:http://127.0.0.1:5000/x',
  '//evil.example/x',
  '\\\\evil.example/x',
  '/\\evil.example/x',
  '\\/evil.example/x',
  ' //evil.example/x',
  '\x01//evil.example/x',
  '/\t/evil.example/x',
  '/\n/evil.example/x',
  '\\\t\\evil.example/x',
  '///evil.example/x',
  '\\\\\\evil.example/x',
];

/** Links kept as they are (after the same clean-up): relative, fragments, explicit http(s) and mailto. */
const KEPT: [string, string][] = [
  ['#/models/pets', '#/models/pets'],
  ['/ui/#/runs/abc', '/ui/#/runs/abc'],
  ['./notes.md', './notes.md'],
  ['../x', '../x'],
  ['docs/page.html', 'docs/page.html'],
  ['https://example.com/a?b=1#c', 'https://example.com/a?b=1#c'],
  ['HTTP://example.com', 'HTTP://example.com'],
  [' https://example.com ', 'https://example.com'],
  ['https:\\\\example.com\\a', 'https://example.com/a'],
  ['mailto:team@example.com', 'mailto:team@example.com'],
  // A backslash in the query or fragment stays what it is: the URL parser leaves it there too.
  ['/a\\b?q=\\x#\\y', '/a/b?q=\\x#\\y'],
];

type SafeHref = (href: string) => string;
let safeHref: SafeHref;

beforeAll(async () => {
  // Imported by URL: the UI's plain JavaScript has no type declarations.
  ({ safeHref } = (await import(pathToFileURL(path.join(ROOT, 'ui/js/dom.js')).href)) as { safeHref: SafeHref });
});

/** Where a browser following the link would go. */
const target = (href: string) => new URL(href, BASE);

describe('safeHref, judged by the WHATWG URL parser', () => {
  it.each(HOSTILE.map((h) => [JSON.stringify(h), h]))('%s stays on the UI or goes nowhere', (_, href) => {
    const out = safeHref(href);
    const url = target(out);
    expect(url.protocol, `${JSON.stringify(href)} → ${JSON.stringify(out)}`).toBe('http:');
    expect(url.origin, `${JSON.stringify(href)} → ${JSON.stringify(out)}`).toBe(new URL(BASE).origin);
  });

  it.each(KEPT)('%j is kept as %j', (href, expected) => {
    expect(safeHref(href)).toBe(expected);
  });

  it('makes script and foreign hosts inert, not relative paths', () => {
    for (const h of ['\x01javascript:alert(1)', 'java\tscript:alert(1)', '\\\\evil.example/x', '/\\evil.example/x', '//evil.example/x'])
      expect(safeHref(h), JSON.stringify(h)).toBe('#');
  });
});

describe('model card links in Chromium', () => {
  let dir: string;
  let server: TrackingServer;
  let browser: Browser;
  beforeAll(async () => {
    dir = tempProject('mlx-sec-md-');
    expect(mlx(dir, ['experiments', 'create', 'x']).code).toBe(0);
    server = await startTrackingServer(dir, path.join(dir, '.mlx'));
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await stopAllServers();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('every hostile link the renderer makes points at the UI itself or nowhere', async () => {
    const { page, problems } = await newPage(browser);
    await page.goto(`${server.base}/#/models`);
    // Markdown link targets cannot hold whitespace or '>': all variants also go in through h() directly, as other pages' links do.
    const inMarkdown = HOSTILE.filter((h) => !/[\s>]/.test(h));
    const md = inMarkdown.map((h, i) => `- [link ${i}](${h})`).join('\n');
    const links = await page.evaluate<{ href: string; attr: string | null; target: string | null }[]>(`
      Promise.all([import('/ui/js/markdown.js'), import('/ui/js/dom.js')]).then(([m, d]) => {
        const root = m.renderMarkdown(${JSON.stringify(md)});
        for (const h of ${JSON.stringify(HOSTILE)}) root.append(d.h('a', { href: h }, 'direct'));
        document.body.append(root);
        return [...root.querySelectorAll('a')].map((a) => ({ href: a.href, attr: a.getAttribute('href'), target: a.getAttribute('target') }));
      })`);
    expect(links).toHaveLength(inMarkdown.length + HOSTILE.length);
    for (const l of links) {
      const url = new URL(l.href);
      expect(url.origin, JSON.stringify(l)).toBe(server.base);
      expect(l.target, 'only explicit http(s) links open a new tab').toBeNull();
    }
    // Clicking one follows nothing anywhere else, and no script ran.
    await page.locator('a', { hasText: 'link 4' }).click();
    expect(new URL(page.url()).origin).toBe(server.base);
    expect(problems).toEqual([]);
  }, 60_000);

  // Item 7 (recursive walkers over user input): quotes, lists and emphasis recurse once a level.
  it('Markdown nested 100,000 deep renders, as text past 20 levels, instead of overflowing the stack', async () => {
    const { page, problems } = await newPage(browser);
    await page.goto(`${server.base}/#/models`);
    const cases = {
      quote: `${'>'.repeat(100_000)} deep`,
      underscore: `${'_a '.repeat(100)}deep${'_'.repeat(100)}`,
      // Past a span's bound (500 characters of emphasis) the openers are text: only the one opener
      // within 500 characters of the closers makes an <em>; nothing overflows.
      underscoreLong: `${'_a '.repeat(100_000)}deep${'_'.repeat(100_000)}`,
      // Unclosed openers by the hundred thousand (each one used to be scanned to the end: seconds per card).
      brackets: `${'['.repeat(100_000)}deep`,
      backticks: `${'`a'.repeat(50_000)}\`\`deep`,
      list: Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i)}- deep`).join('\n'),
    };
    const out = await page.evaluate<Record<string, { error?: string; depth?: number; text?: boolean }>>(`
      import('/ui/js/markdown.js').then((m) => Object.fromEntries(Object.entries(${JSON.stringify(cases)}).map(([k, md]) => {
        try {
          const root = m.renderMarkdown(md);
          let depth = 0;
          for (let el = root.querySelector('blockquote, li, em, strong'); el; el = el.querySelector('blockquote, li, em, strong')) depth++;
          return [k, { depth, text: root.textContent.includes('deep') }];
        } catch (e) {
          return [k, { error: String(e) }];
        }
      })))`);
    expect(out).toEqual({
      quote: { depth: 20, text: true },
      underscore: { depth: 20, text: true },
      underscoreLong: { depth: 1, text: true },
      brackets: { depth: 0, text: true },
      backticks: { depth: 0, text: true },
      list: { depth: 20, text: true },
    });
    expect(problems).toEqual([]);
  }, 60_000);

  it('explicit external links keep their target and open in a new tab', async () => {
    const { page, problems } = await newPage(browser);
    await page.goto(`${server.base}/#/models`);
    const links = await page.evaluate<{ href: string; target: string | null }[]>(`
      import('/ui/js/markdown.js').then((m) => [...m.renderMarkdown('[a](https://example.com/x) [b](\\x01https://example.com/y) [c](#/models)').querySelectorAll('a')]
        .map((a) => ({ href: a.href, target: a.getAttribute('target') })))`);
    expect(links).toEqual([
      { href: 'https://example.com/x', target: '_blank' },
      { href: 'https://example.com/y', target: '_blank' },
      { href: `${server.base}/#/models`, target: null },
    ]);
    expect(problems).toEqual([]);
  }, 60_000);
});
