// The exercise page's "our measurements agree" block: the lesson's two models as the
// manifest measured them, and the project's rule, read from models.json (plain JSON,
// no Python needed, so this does not start Pyodide).

const MANIFEST_URL = new URL('../../models/models.json', import.meta.url);
// the lesson's entries and the manifest models they stand for (as in grader.py)
const LESSON_MODELS = [['ResNet', 'resnet50'], ['MobileNet', 'mobilenet_v1']];

const integer = (n) => n.toLocaleString('en-US');
const millions = (n) => `${(n / 1e6).toFixed(1)} M`;
const billions = (n) => `${(n / 1e9).toFixed(2)} G`;

function cell(tag, text) {
  const el = document.createElement(tag);
  el.textContent = text;
  return el;
}

function row(tag, values) {
  const tr = document.createElement('tr');
  tr.append(...values.map((v) => cell(tag, v)));
  return tr;
}

export async function showEvidence(container) {
  if (!container) return;
  let manifest;
  try {
    const response = await fetch(MANIFEST_URL);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    manifest = await response.json();
  } catch (error) {
    container.textContent = `The manifest could not be loaded (${error.message}).`;
    return;
  }
  const rule = manifest.lightweight_rule;
  const table = document.createElement('table');
  table.append(row('th', ['Lesson entry', 'Our model', 'Layers', 'Parameters', 'MACs per image', 'Published top-1', 'is_lightweight']));
  const citations = [];
  for (const [lessonName, name] of LESSON_MODELS) {
    const m = manifest.models[name];
    if (!m) continue;
    const published = m.weights.published;
    citations.push(`${name}: ${published.citation.text}`);
    table.append(row('td', [
      lessonName, name, String(m.depth),
      `${millions(m.params)} (${integer(m.params)})`,
      `${billions(m.macs)} (${integer(m.macs)})`,
      published.top1 == null ? 'not published' : `${published.top1}%`,
      m.is_lightweight ? 'True' : 'False',
    ]));
  }
  const verdicts = LESSON_MODELS.filter(([, name]) => manifest.models[name]).map(([lessonName, name]) => {
    const m = manifest.models[name];
    const over = [
      m.params > rule.max_params ? `${millions(m.params)} parameters, over ${millions(rule.max_params)}` : null,
      m.macs > rule.max_macs ? `${billions(m.macs)} MACs, over ${billions(rule.max_macs)}` : null,
    ].filter(Boolean);
    return over.length
      ? `${name} (the lesson's ${lessonName}) is not lightweight: ${over.join('; ')}.`
      : `${name} (the lesson's ${lessonName}) is lightweight: ${millions(m.params)} parameters and ${billions(m.macs)} MACs, both within the limits.`;
  });
  const ruleText = cell('p', '');
  ruleText.append('The project\'s rule, from the manifest: ', cell('code', rule.text), '.');
  const note = cell('p', `Parameters, MACs and layers are measured by our exporter; published top-1 accuracy is cited (${citations.join('; ')}).`);
  note.className = 'py-citations';
  table.className = 'py-evidence-table';
  container.replaceChildren(ruleText, table, cell('p', verdicts.join(' ')), note);
}
