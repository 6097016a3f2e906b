/**
 * Control characters in values that end up in generated files and messages. A line ends at more than
 * \n: YAML 1.1 (PyYAML, so docker-compose v1) also breaks lines at NEL (U+0085), U+2028 and U+2029,
 * Markdown and some Dockerfile parsers at a lone \r; C1 controls (U+0080-U+009F) are refused by PyYAML
 * even inside quotes, and ESC sequences or bidi overrides make a file or a terminal show something
 * other than what is there. So one set covers them all: C0 and C1 controls, DEL, the line and
 * paragraph separators and the bidi controls.
 */
const CONTROL_SOURCE = '\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069';
const CONTROL = new RegExp(`[${CONTROL_SOURCE}]`);
const CONTROL_ALL = new RegExp(`[${CONTROL_SOURCE}]`, 'g');
/** The characters JSON.stringify leaves raw although CONTROL holds them. */
const RAW_IN_JSON = /[\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/** Runs of the characters some reader takes as the end of a line. */
const LINE_BREAKS = /(?:\r\n|[\n\r\v\f\u0085\u2028\u2029])+/g;

const SHORT: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };
const hex = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** The first control character of a text, or null. */
export function findControlChar(text: string): string | null {
  return CONTROL.exec(text)?.[0] ?? null;
}

/** A control character as an escape sequence: `\n`, `\t`, `\u2028`. */
export function escapeChar(c: string): string {
  return SHORT[c] ?? hex(c);
}

/**
 * The text with every control character written as its escape sequence: one visible line, e.g.
 * `a\nRUN id`; the characters of keep (e.g. "\n\t" for Markdown text) are left as they are.
 */
export function escapeControlChars(text: string, keep = ''): string {
  return text.replace(CONTROL_ALL, (c) => (keep.includes(c) ? c : escapeChar(c)));
}

/** The text on one line: each run of line breaks (of any kind) becomes one space. */
export function flattenLineBreaks(text: string): string {
  return text.replace(LINE_BREAKS, ' ');
}

/**
 * A JSON string literal with every control character escaped: valid JSON, a valid YAML double-quoted
 * scalar (1.1 and 1.2) and a valid string of a Dockerfile's JSON (exec) form, which never spans lines.
 */
export function quoteJson(text: string): string {
  return JSON.stringify(text).replace(RAW_IN_JSON, hex);
}

/** JSON.stringify with the characters it leaves raw (U+2028, C1, bidi controls) escaped too. */
export function safeJson(value: unknown, space?: number): string {
  return JSON.stringify(value, null, space).replace(RAW_IN_JSON, hex);
}
