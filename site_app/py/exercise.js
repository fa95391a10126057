// docs/exercise.md: turn each `.py-exercise` block into an editor, a Run button, the
// grader's message and the program's output. Pyodide is not touched until the first Run.
//
// Markup it expects (Markdown, see docs/exercise.md):
//   <div class="py-exercise" data-exercise="lesson" data-label="Exercise 1: …">
//     <pre><code>starter code</code></pre>
//     <details><summary>Show solution</summary> … <pre><code>solution</code></pre></details>
//   </div>

import { RUN_KIND } from './messages.js';
import { getRunner, TIMEOUT_SECONDS, timeoutMessage } from './runner.js';
import { makeEditor, EDITOR_HELP } from './editor.js';
import { appendResult } from './output.js';
import { element } from './element.js';
import './style.js';

const blocks = document.querySelectorAll('.py-exercise[data-exercise]');
const runtimeLine = document.getElementById('python-runtime');
const runner = getRunner();

function setUp(block, index) {
  const exerciseId = block.dataset.exercise;
  const label = block.dataset.label || `Exercise ${index + 1}`;
  const starter = block.querySelector(':scope > pre, :scope > div.highlight, :scope > .highlight');
  const code = starter ? starter.textContent.replace(/\n$/, '') : '';
  const id = `py-ex-${exerciseId}`;

  const labelEl = element('label', { id: `${id}-label`, className: 'py-editor-label', textContent: `Your code for ${label}` });
  const editorBox = element('div', { id: `${id}-code`, className: 'py-editor' });
  const help = element('p', { id: `${id}-help`, className: 'py-help', textContent: EDITOR_HELP });
  const run = element('button', { type: 'button', className: 'md-button md-button--primary', textContent: 'Run' });
  const reset = element('button', { type: 'button', className: 'md-button', textContent: 'Start over' });
  const status = element('p', { className: 'py-status' });
  status.setAttribute('role', 'status');
  const output = element('pre', { className: 'py-output', hidden: true });
  output.setAttribute('aria-label', `Output of ${label}`);

  block.setAttribute('role', 'region');
  block.setAttribute('aria-label', label);
  const editorParts = [
    labelEl, editorBox, help,
    element('p', { className: 'py-buttons' }, [run, ' ', reset]),
    status, output,
  ];
  if (starter) starter.replaceWith(...editorParts);
  else block.prepend(...editorParts);

  const editor = makeEditor(editorBox, { doc: code, labelledBy: labelEl.id, describedBy: help.id, onRun: () => run.click() });
  // the label names the editor (aria-labelledby); a click on it goes where a <label for> would
  labelEl.addEventListener('click', () => editor.focus());

  async function runCode() {
    run.disabled = true;
    block.classList.remove('py-passed', 'py-failed');
    output.replaceChildren();
    output.hidden = true;
    status.textContent = runner.started
      ? 'Running…'
      : 'Starting Python in your browser (the first run takes a few seconds)…';
    try {
      const result = await runner.run({ kind: RUN_KIND.EXERCISE, exercise: exerciseId, code: editor.getCode() });
      if (result.timedOut) {
        status.textContent = timeoutMessage();
        block.classList.add('py-failed');
        return;
      }
      status.textContent = result.message;
      block.classList.add(result.passed ? 'py-passed' : 'py-failed');
      output.hidden = !appendResult(output, result);
    } catch (error) {
      status.textContent = `Python could not start (${error.message}). Press Run to try again.`;
    } finally {
      run.disabled = false;
    }
  }

  run.addEventListener('click', runCode);
  reset.addEventListener('click', () => {
    editor.setCode(code);
    editor.focus();
  });

  // "Show solution": a button inside the opened <details> copies it into the editor
  const solution = block.querySelector('details');
  const solutionCode = solution && solution.querySelector('pre');
  if (solutionCode) {
    const use = element('button', { type: 'button', className: 'md-button', textContent: 'Copy the solution into the editor' });
    use.addEventListener('click', () => {
      editor.setCode(solutionCode.textContent.replace(/\n$/, ''));
      editor.focus();
    });
    solution.append(element('p', {}, [use]));
  }
}

function describeRuntime(event) {
  if (!runtimeLine) return;
  const text = {
    loading: 'Python: loading…',
    restarting: 'Python: restarting after a stopped run…',
    ready: `Python: ready (started in ${(event.loadMs / 1000).toFixed(1)} s).`,
    failed: `Python: could not start (${event.message}).`,
  }[event.state];
  runtimeLine.textContent = text;
}

blocks.forEach(setUp);
runner.onStatus(describeRuntime);
document.querySelectorAll('[data-py-timeout]').forEach((el) => {
  el.textContent = String(TIMEOUT_SECONDS);
});
