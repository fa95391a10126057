// The DOM helper of the classifier and the device benchmark.

// make('td', {className: 'x', dataset: {model: 'a'}}, child, 'text'): properties the element
// has are set as properties, the rest as attributes; null and undefined children are skipped.
export function make(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k in node) node[k] = v;
    else node.setAttribute(k, v);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}
