// Add python.css to the page once: only pages that use Python pay for it.

const href = new URL('./python.css', import.meta.url).href;

export function addStyle() {
  if ([...document.styleSheets].some((s) => s.href === href)) return;
  const link = Object.assign(document.createElement('link'), { rel: 'stylesheet', href });
  document.head.append(link);
}

addStyle();
