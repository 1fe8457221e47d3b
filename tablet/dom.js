// Building the page: el() makes elements; text reaches the page only as a
// catalogue string (tx, data-t) or as a value from the server (val,
// data-value), so a test can tell that nothing visible is untranslated.

import { t } from './i18n.js';

export const $ = (id) => document.getElementById(id);

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'style') Object.assign(node.style, v);
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : v);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

/** A catalogue string. */
export const tx = (key, vars, tag = 'span', attrs = {}) => el(tag, { ...attrs, 'data-t': key }, t(key, vars));

/** A value from the server or the clock (a name, a number, a time). */
export const val = (text, tag = 'span', attrs = {}) => el(tag, { ...attrs, 'data-value': '' }, String(text));

/** A button labelled from the catalogue. */
export const button = (key, onclick, attrs = {}) => el('button', { type: 'button', ...attrs, onclick }, tx(key));

/** An option of a select: its text from the catalogue or a value. */
export const option = (value, label, isKey = true) => el('option', isKey ? { value, 'data-t': label } : { value, 'data-value': '' }, isKey ? t(label) : label);
