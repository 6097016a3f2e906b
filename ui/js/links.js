// Addresses of the UI's pages, shared by the pages that link to each other.

export const modelHref = (name) => `#/models/${encodeURIComponent(name)}`;
export const versionHref = (name, v) => `${modelHref(name)}/versions/${encodeURIComponent(v)}`;

/** Renders the current page again (after an edit that changes more than one place). */
export const rerender = () => window.dispatchEvent(new HashChangeEvent('hashchange'));
