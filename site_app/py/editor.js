// The exercise editor: CodeMirror 6 (npm, bundled into the site by hooks/assets.py) with
// Python colouring, line numbers and indentation.
//
// Keyboard users still get out: Tab indents (Shift+Tab removes an indent), but Escape then
// Tab (or Shift+Tab) moves focus on (or back), however long after the Escape. The editor is
// labelled by the visible label and described by the help line below it.

import {
  EditorState, EditorView, Prec, bracketMatching, classHighlighter, defaultKeymap, drawSelection,
  highlightActiveLine, highlightActiveLineGutter, history, historyKeymap, indentLess, indentMore,
  indentOnInput, indentUnit, keymap, lineNumbers, python, syntaxHighlighting,
} from '../../vendor/codemirror/codemirror.mjs';

const INDENT = '    '; // PEP 8: four spaces, never a tab character

export const EDITOR_HELP =
  'Tab indents; press Escape then Tab to leave the editor. Ctrl+Enter runs the code.';

// Tab: four spaces at the cursor (as the plain textarea this replaces did), or a whole
// selection indented; after Escape, nothing, so that the browser moves focus on
function tabKey(escaped) {
  return (view) => {
    if (escaped.now) return false;
    if (view.state.selection.ranges.some((r) => !r.empty)) return indentMore(view);
    view.dispatch(view.state.replaceSelection(INDENT), { scrollIntoView: true, userEvent: 'input' });
    return true;
  };
}

// makeEditor(parent, {doc, labelledBy, describedBy, onRun}) -> {getCode, setCode, focus, view}
export function makeEditor(parent, { doc = '', labelledBy, describedBy, onRun } = {}) {
  const escaped = { now: false };
  const keys = [
    { key: 'Tab', run: tabKey(escaped), shift: (view) => !escaped.now && indentLess(view) },
    { key: 'Mod-Enter', run: () => (onRun ? (onRun(), true) : false) },
  ];
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc,
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightActiveLine(),
        drawSelection(),
        history(),
        python(),
        indentUnit.of(INDENT),
        indentOnInput(),
        bracketMatching(),
        syntaxHighlighting(classHighlighter),
        // long lines wrap, as they did in the textarea: no sideways scrolling on a phone
        EditorView.lineWrapping,
        // first in line, before CodeMirror's own bindings (its Mod-Enter inserts a blank line)
        Prec.highest(EditorView.domEventHandlers({
          keydown(event) {
            // Escape arms "leave"; any other key but Tab and the modifiers disarms it
            if (event.key === 'Escape') escaped.now = true;
            else if (!['Tab', 'Shift', 'Control', 'Alt', 'Meta'].includes(event.key)) escaped.now = false;
            return false;
          },
        })),
        Prec.high(keymap.of(keys)),
        keymap.of([...defaultKeymap, ...historyKeymap]),
        EditorView.contentAttributes.of({
          'aria-labelledby': labelledBy,
          ...(describedBy ? { 'aria-describedby': describedBy } : {}),
          autocapitalize: 'off',
          autocorrect: 'off',
          spellcheck: 'false',
        }),
      ],
    }),
  });
  // focus leaves after Escape then Tab: the next visit starts fresh
  view.contentDOM.addEventListener('blur', () => {
    escaped.now = false;
  });
  return {
    view,
    getCode: () => view.state.doc.toString(),
    setCode(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text }, selection: { anchor: text.length } });
    },
    focus: () => view.focus(),
  };
}
