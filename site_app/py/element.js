// The one DOM helper of the Python pages (exercise.js, console.js).

// element('button', {type: 'button', textContent: 'Run'}, [child, ' text'])
export function element(tag, props = {}, children = []) {
  const el = Object.assign(document.createElement(tag), props);
  el.append(...children);
  return el;
}
