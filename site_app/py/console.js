// A Python console that mounts into <div id="python-console"> (compare and exercise pages).
// `models` is predefined: catalog.build_models_dict(models.json), the same dictionary the
// exercises use. Pyodide starts on the first query, not on page load.

import { RUN_KIND } from './messages.js';
import { getRunner, timeoutMessage, TIMEOUT_SECONDS } from './runner.js';
import { appendResult } from './output.js';
import { element } from './element.js';
import './style.js';

const mount = document.getElementById('python-console');

const EXAMPLES = [
  "models['resnet50']['is_lightweight']",
  "[name for name, m in models.items() if m['is_lightweight']]",
  "models['mobilenet_v2']['bytes']",
  'sorted(models, key=lambda name: models[name][\'params\'])',
];

function setUp(root) {
  const runner = getRunner();
  const input = element('input', { type: 'text', id: 'python-console-input', className: 'py-console-input' });
  input.spellcheck = false;
  input.setAttribute('autocomplete', 'off');
  input.setAttribute('autocapitalize', 'off');
  input.placeholder = EXAMPLES[0];
  const run = element('button', { type: 'submit', className: 'md-button md-button--primary', textContent: 'Run' });
  const form = element('form', { className: 'py-console-form' }, [
    element('label', { htmlFor: input.id, textContent: 'Python (models is predefined)' }), ' ', input, ' ', run,
  ]);
  const log = element('pre', { className: 'py-output py-console-log' });
  log.setAttribute('role', 'log');
  log.setAttribute('aria-label', 'Python console output');
  const status = element('p', { className: 'py-status' });
  status.setAttribute('role', 'status');
  const help = element('p', { className: 'py-help' }, [
    element('code', { textContent: 'models' }),
    ' is the catalog built from this site\'s models.json. Python starts on your first query; ' +
      `a query still running after ${TIMEOUT_SECONDS} seconds is stopped and Python restarts.`,
  ]);
  const examples = element('p', { className: 'py-examples' }, ['Try: ']);
  EXAMPLES.forEach((code, i) => {
    const b = element('button', { type: 'button', className: 'py-example' }, [element('code', { textContent: code })]);
    b.addEventListener('click', () => {
      input.value = code;
      input.focus();
    });
    examples.append(...(i ? [' ', b] : [b]));
  });
  root.setAttribute('role', 'region');
  root.setAttribute('aria-label', 'Python console');
  root.replaceChildren(form, help, examples, status, log);

  const history = [];
  let back = 0;  // how far up the history ArrowUp has gone

  async function query(code) {
    run.disabled = true;
    status.textContent = runner.started ? 'Running…' : 'Starting Python in your browser (this takes a few seconds)…';
    log.append(element('span', { className: 'py-echo', textContent: `>>> ${code}\n` }));
    try {
      const result = await runner.run({ kind: RUN_KIND.CONSOLE, code });
      if (result.timedOut) {
        log.append(element('span', { className: 'py-traceback', textContent: `${timeoutMessage()}\n` }));
        status.textContent = timeoutMessage();
      } else {
        appendResult(log, result);
        status.textContent = result.error ? 'Python raised an error (traceback above).' : 'Done.';
      }
    } catch (error) {
      status.textContent = `Python could not start (${error.message}). Try again.`;
    } finally {
      run.disabled = false;
      log.scrollTop = log.scrollHeight;
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const code = input.value;
    if (!code.trim() || run.disabled) return;
    history.push(code);
    back = 0;
    input.value = '';
    query(code);
  });
  input.addEventListener('keydown', (event) => {
    if (event.key !== 'ArrowUp' && event.key !== 'ArrowDown') return;
    event.preventDefault();
    back = Math.max(0, Math.min(history.length, back + (event.key === 'ArrowUp' ? 1 : -1)));
    input.value = back ? history[history.length - back] : '';
  });
}

if (mount) setUp(mount);
