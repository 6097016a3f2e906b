// Reads the start of a CSV or TSV file for a preview (RFC 4180: quoted fields, "" inside quotes,
// line breaks inside quotes). Bounded: at most maxRows rows and MAX_COLUMNS columns are kept.

const MAX_COLUMNS = 200;

/**
 * The first maxRows rows of text. truncated says the text is only the start of the file: its
 * last row may be cut, so it is dropped. complete is false when rows were left out.
 */
export function parseDelimited(text, delimiter = ',', maxRows = 100, truncated = false) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const endField = () => {
    if (row.length < MAX_COLUMNS) row.push(field);
    field = '';
  };
  const endRow = () => {
    endField();
    rows.push(row);
    row = [];
  };
  while (i < s.length && rows.length < maxRows) {
    const c = s[i];
    if (quoted) {
      if (c === '"') {
        if (s[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === delimiter) endField();
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && s[i + 1] === '\n') i++;
      endRow();
    } else field += c;
    i++;
  }
  const stoppedEarly = rows.length >= maxRows && i < s.length;
  // A last line without a newline is a row, unless the text was cut there.
  if (!stoppedEarly && (field !== '' || row.length) && !truncated) endRow();
  return { rows, complete: !stoppedEarly && !truncated };
}
