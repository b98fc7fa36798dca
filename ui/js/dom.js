// dom.js: elements built from data, never from HTML strings, so that no text
// the API returns can become markup.
const SVG_NS = 'http://www.w3.org/2000/svg';

function fill(node, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') node.textContent = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of [].concat(children || [])) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

// h('p', {class: 'x'}, ['text', child]): an HTML element.
export function h(tag, attrs, children) {
  return fill(document.createElement(tag), attrs, children);
}

// s('rect', {x: 1}): an SVG element.
export function s(tag, attrs, children) {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

export function clear(node) {
  while (node.firstChild) node.firstChild.remove();
  return node;
}

// A table: caption, header cells and rows of cells (strings or nodes; a cell
// may be {v, num: true} for a right-aligned number, or {v, th: true}).
export function table(caption, head, rows, attrs = {}) {
  const cell = (c, tag) => {
    if (c && typeof c === 'object' && !(c instanceof Node)) {
      const t = c.th ? 'th' : tag;
      return h(t, { class: c.num ? 'num' : c.cls, scope: c.th ? 'row' : undefined,
        'data-k': c.k }, [c.v]);
    }
    return h(tag, {}, [c]);
  };
  return h('div', { class: 'table-wrap' }, [
    h('table', attrs, [
      caption ? h('caption', {}, [caption]) : null,
      h('thead', {}, [h('tr', {}, head.map((x) => {
        const th = cell(x, 'th');
        th.setAttribute('scope', 'col');
        return th;
      }))]),
      h('tbody', {}, rows.map((r) => h('tr', r.attrs || {}, (r.cells || r).map((c) => cell(c, 'td'))))),
    ]),
  ]);
}
