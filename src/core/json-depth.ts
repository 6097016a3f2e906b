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
 * here: JSON.parse reports it. Two copies of one loop, so that each indexes its input directly:
 * through a shared accessor the scan cost as much as JSON.parse itself.
 */
export function jsonNestsDeeperThan(text: string | Uint8Array, max = MAX_JSON_DEPTH): boolean {
  return typeof text === 'string' ? stringNests(text, max) : bytesNest(text, max);
}

function bytesNest(b: Uint8Array, max: number): boolean {
  const n = b.length;
  let depth = 0;
  for (let i = 0; i < n; i++) {
    const c = b[i];
    if (c === QUOTE) {
      // To the closing quote; a backslash takes the next byte with it (\" is not an end).
      for (i++; i < n && b[i] !== QUOTE; i++) if (b[i] === BACKSLASH) i++;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > max) return true;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
  }
  return false;
}

function stringNests(s: string, max: number): boolean {
  const n = s.length;
  let depth = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === QUOTE) {
      for (i++; i < n && s.charCodeAt(i) !== QUOTE; i++) if (s.charCodeAt(i) === BACKSLASH) i++;
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
