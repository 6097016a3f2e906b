// A confusion matrix as a self-contained SVG: rows are the true classes, columns the predicted ones,
// each cell shaded by the share of its row. The diagonal holds the correct answers.
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

/** Counts [true][predicted] for class indices. */
export function confusionCounts(actual, predicted, classes) {
  const m = Array.from({ length: classes }, () => new Array(classes).fill(0));
  actual.forEach((a, i) => m[a][predicted[i]]++);
  return m;
}

/** Renders the counts with the class names as an SVG document. */
export function confusionMatrixSvg(counts, labels, title) {
  const cell = 56;
  const left = 70;
  const top = 70;
  const size = left + cell * labels.length + 20;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size + 10}" font-family="sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${size / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`,
    `<text x="${left + (cell * labels.length) / 2}" y="42" text-anchor="middle" fill="#555">predicted</text>`,
    `<text x="14" y="${top + (cell * labels.length) / 2}" text-anchor="middle" fill="#555" transform="rotate(-90 14 ${top + (cell * labels.length) / 2})">true</text>`,
  ];
  labels.forEach((label, i) => {
    parts.push(`<text x="${left + cell * i + cell / 2}" y="${top - 8}" text-anchor="middle">${esc(label)}</text>`);
    parts.push(`<text x="${left - 6}" y="${top + cell * i + cell / 2 + 4}" text-anchor="end">${esc(label)}</text>`);
  });
  counts.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    row.forEach((n, j) => {
      const share = n / total;
      const [x, y] = [left + cell * j, top + cell * i];
      const fill = i === j ? `rgba(46,125,50,${0.1 + 0.9 * share})` : n ? `rgba(198,40,40,${0.15 + 0.85 * share})` : '#f5f5f5';
      parts.push(
        `<rect x="${x}" y="${y}" width="${cell - 2}" height="${cell - 2}" fill="${fill}"><title>true ${esc(labels[i])}, predicted ${esc(labels[j])}: ${n}</title></rect>`,
      );
      parts.push(`<text x="${x + cell / 2 - 1}" y="${y + cell / 2 + 4}" text-anchor="middle" fill="${share > 0.5 ? '#fff' : '#222'}">${n}</text>`);
    });
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
