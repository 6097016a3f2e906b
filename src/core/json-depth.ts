/**
 * How deep JSON input may nest arrays and objects. V8's JSON.parse copes with any depth, but
 * JSON.stringify, String(), structuredClone and our own walkers recurse, and overflow the stack
 * at a few thousand levels. 100 is protobuf's default recursion limit, so MLflow's own server
 * (which parses request bodies with protobuf's json_format) refuses the same bodies; no MLflow
 * request or JSON lines row needs more than a handful of levels.
 */
export const MAX_JSON_DEPTH = 100;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/**
 * Whether JSON text nests arrays and objects deeper than `max`, found without parsing it (one
 * pass, no recursion): brackets inside strings do not count. Works on a string or on UTF-8
 * bytes, whose multi-byte sequences never hold an ASCII byte. Malformed text is not judged
 * here: JSON.parse reports it.
 */
export function jsonNestsDeeperThan(text: string | Uint8Array, max = MAX_JSON_DEPTH): boolean {
  const bytes = typeof text !== 'string';
  const at = bytes ? (i: number) => text[i] : (i: number) => text.charCodeAt(i);
  const nextQuote = bytes ? (i: number) => text.indexOf(QUOTE, i) : (i: number) => text.indexOf('"', i);
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = at(i);
    if (c === QUOTE) {
      // Skip the string: its end is the next quote not escaped by an odd run of backslashes.
      const start = i + 1;
      for (let q = nextQuote(start); ; q = nextQuote(q + 1)) {
        if (q < 0) return false;
        let b = q - 1;
        while (b >= start && at(b) === BACKSLASH) b--;
        if ((q - 1 - b) % 2 === 0) {
          i = q;
          break;
        }
      }
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > max) return true;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
  }
  return false;
}

/** The one wording of the refusal, after "the request body", "FILE line N" and the like. */
export function tooDeepText(max = MAX_JSON_DEPTH): string {
  return `nests arrays and objects more than ${max} deep (the limit); no input mlx reads needs more than a few levels`;
}
