import fs from 'node:fs';
import { escapeControlChars, flattenLineBreaks, quoteJson } from '../core/control-chars.js';
import { renderTemplate } from '../core/template.js';

const cache = new Map<string, string>();

/** The text of a file under templates/ (shipped in the npm package), e.g. `docker/Dockerfile`. */
export function templateText(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = fs.readFileSync(new URL(`../../templates/${name}`, import.meta.url), 'utf8');
    cache.set(name, text);
  }
  return text;
}

/**
 * Renders a template whose optional sections are whole-line placeholders: a line holding only
 * `{{section}}` disappears when the section is empty, so YAML keeps no stray blank lines.
 */
export function fill(name: string, vars: Record<string, string>): string {
  const text = templateText(name).replace(/^[ \t]*\{\{\s*([A-Za-z0-9_]+)\s*\}\}[ \t]*\n/gm, (line, key: string) => (vars[key] === '' ? '' : line.trimStart()));
  return renderTemplate(text, vars, `templates/${name}`);
}

/**
 * A YAML string scalar: a JSON string is a YAML double-quoted scalar, once the characters JSON leaves raw
 * but YAML 1.1 reads as line breaks (U+0085, U+2028, U+2029) or refuses (C1 controls) are escaped too.
 */
export const yamlString = (s: string) => quoteJson(s);

/** `key: "value"` lines of a YAML map at an indentation. */
export function yamlMap(entries: Record<string, string>, indent: number): string {
  const pad = ' '.repeat(indent);
  return Object.entries(entries)
    .map(([k, v]) => `${pad}${k}: ${yamlString(v)}`)
    .join('\n');
}

/** `- "item"` lines of a YAML block sequence at an indentation. */
export function yamlList(items: string[], indent: number): string {
  const pad = ' '.repeat(indent);
  return items.map((i) => `${pad}- ${yamlString(i)}`).join('\n');
}

/** A JSON array as Dockerfiles and YAML flow sequences write it: `["a", "b"]`. */
export function jsonArray(items: string[]): string {
  return `[${items.map(quoteJson).join(', ')}]`;
}

/**
 * A double-quoted Dockerfile word, e.g. a LABEL value: line breaks of every kind flattened to spaces (a
 * label is one line), other control characters written as escapes (`\u001b`), then quotes, backslashes
 * and `$` (variable expansion) escaped.
 */
export function dockerQuote(s: string): string {
  const flat = escapeControlChars(flattenLineBreaks(s));
  return `"${flat.replace(/[\\"$]/g, (c) => `\\${c}`)}"`;
}
