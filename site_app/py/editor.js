// A plain <textarea> that behaves enough like a code editor: Tab inserts four spaces.
// Keyboard users still get out: Escape then Tab moves focus on, Shift+Tab moves back.

const INDENT = '    ';

export const EDITOR_HELP =
  'Tab inserts four spaces; press Escape then Tab to leave the editor. Ctrl+Enter runs the code.';

export function makeEditor(textarea, { onRun } = {}) {
  let escaped = false;
  textarea.spellcheck = false;
  textarea.autocapitalize = 'off';
  textarea.setAttribute('autocomplete', 'off');
  textarea.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      escaped = true;
      return;
    }
    const wasEscaped = escaped;
    escaped = false;
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey) && onRun) {
      event.preventDefault();
      onRun();
    } else if (event.key === 'Tab' && !event.shiftKey && !event.ctrlKey && !event.altKey && !event.metaKey && !wasEscaped) {
      event.preventDefault();
      textarea.setRangeText(INDENT, textarea.selectionStart, textarea.selectionEnd, 'end');
      textarea.dispatchEvent(new Event('input', { bubbles: true }));
    }
  });
  // grow with the code so nothing scrolls inside a scrolling page
  const fit = () => {
    textarea.rows = Math.max(4, textarea.value.split('\n').length + 1);
  };
  textarea.addEventListener('input', fit);
  fit();
  return { fit };
}
