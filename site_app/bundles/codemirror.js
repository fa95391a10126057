// The exercise editor's npm packages (CodeMirror 6), gathered into one ES module.
//
// CodeMirror's packages import each other by bare specifier ('@codemirror/state'), which a
// browser cannot resolve. hooks/assets.py has esbuild bundle this file, with the versions
// package-lock.json pins, into site/vendor/codemirror/codemirror.mjs; site_app/py/editor.js
// imports from there. Only what editor.js uses is exported, so the bundle holds nothing else.

export { EditorState, Prec } from '@codemirror/state';
export { EditorView, drawSelection, highlightActiveLine, highlightActiveLineGutter, keymap, lineNumbers } from '@codemirror/view';
export { defaultKeymap, history, historyKeymap, indentLess, indentMore } from '@codemirror/commands';
export { bracketMatching, indentOnInput, indentUnit, syntaxHighlighting } from '@codemirror/language';
export { python } from '@codemirror/lang-python';
// tokens get stable class names (tok-keyword, tok-string, ...) that python.css colours with
// the theme's own code colours, in the light and the dark scheme
export { classHighlighter } from '@lezer/highlight';
