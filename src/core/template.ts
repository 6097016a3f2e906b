import { MlxError } from './errors.js';

/**
 * Renders `{{name}}` placeholders from vars. A placeholder without a value is an error, so a
 * template and its renderer cannot drift apart silently.
 */
export function renderTemplate(template: string, vars: Record<string, string>, templateName = 'template'): string {
  return template.replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (_, key: string) => {
    if (!(key in vars)) throw new MlxError('INTERNAL_ERROR', `${templateName} uses {{${key}}}, which the renderer does not provide`);
    return vars[key];
  });
}
