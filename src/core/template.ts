import { escapeChar, findControlChar } from './control-chars.js';
import { MlxError } from './errors.js';

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

/** True when the line around offset holds something besides placeholders (a comment, a key, text). */
function isInline(template: string, offset: number): boolean {
  const start = template.lastIndexOf('\n', offset) + 1;
  const end = template.indexOf('\n', offset);
  return (
    template
      .slice(start, end === -1 ? undefined : end)
      .replace(PLACEHOLDER, '')
      .trim() !== ''
  );
}

/**
 * Renders `{{name}}` placeholders from vars. A placeholder without a value is an error, so a
 * template and its renderer cannot drift apart silently. A placeholder that shares its line with
 * other text (a comment, a YAML key, a Markdown table cell) takes no control character: a line
 * break there would end a comment and make the rest live, so callers escape or refuse such values
 * first, and one that did not is stopped here. Only a placeholder alone on its line takes a block.
 */
export function renderTemplate(template: string, vars: Record<string, string>, templateName = 'template'): string {
  return template.replace(PLACEHOLDER, (_, key: string, offset: number) => {
    if (!(key in vars)) throw new MlxError('INTERNAL_ERROR', `${templateName} uses {{${key}}}, which the renderer does not provide`);
    const value = vars[key];
    const c = findControlChar(value);
    if (c !== null && isInline(template, offset))
      throw new MlxError(
        'INTERNAL_ERROR',
        `${templateName}: the value of {{${key}}} holds a control character (${escapeChar(c)}) inside a line; it must be escaped or refused before rendering`,
      );
    return value;
  });
}
