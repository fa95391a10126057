// The architecture pages' scaling controls (<!-- scaling: mobilenet_v1 -->, hooks/shortcodes.py).
// Width multiplier and resolution sliders; every figure after the first comes from
// export/scaling.py run by Pyodide (RUN_KIND.SCALING), the module the PyTorch builders read.
// Pyodide starts only when the reader first moves a control: the starting figures are the
// same module's, computed when the site was built and embedded in the page.

import { RUN_KIND } from './messages.js';
import { getRunner } from './runner.js';
import { element } from './element.js';
import './style.js';
import { fmtBytes, fmtCount } from '../format.js';

const SVG = 'http://www.w3.org/2000/svg';
const CHART = { w: 420, h: 240, left: 48, right: 12, top: 12, bottom: 36 };

const exact = (n) => n.toLocaleString('en-US');

function svg(tag, attrs = {}, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

function slider(id, label, [min, max], step, value, format) {
  const input = element('input', { type: 'range', id, min, max, step, value });
  const out = element('output', { htmlFor: id, textContent: format(value) });
  input.setAttribute('aria-valuetext', format(value));
  const row = element('div', { className: 'lwm-scaling-control' }, [
    element('label', { htmlFor: id, textContent: label }), input, out,
  ]);
  return { row, input, out, format };
}

function figure(label) {
  const value = element('dd', { textContent: '' });
  return { value, nodes: [element('dt', { textContent: label }), value] };
}

function setUp(root, data) {
  const runner = getRunner();
  const id = (s) => `scaling-${data.arch}-${s}`;
  const width = slider(id('width'), 'Width multiplier α', data.widthRange, 0.05, 1, (v) => `α = ${Number(v).toFixed(2)}`);
  const res = slider(id('resolution'), 'Input resolution', data.resolutionRange, 4, 224, (v) => `${v}×${v} px`);
  const params = figure('Parameters');
  const macs = figure('MACs (multiply-accumulates, one image)');
  const memory = figure('Peak activation memory (fp32, batch 1)');
  const status = element('p', { className: 'py-status' });
  status.setAttribute('role', 'status');
  const bars = element('table', { className: 'lwm-scaling-stages' });
  bars.append(element('caption', { textContent: 'MACs per stage (bar length on the scale of α = 1.4 at 300 px)' }));
  const chart = svg('svg', { viewBox: `0 0 ${CHART.w} ${CHART.h}`, role: 'img', class: 'lwm-scaling-chart' });
  const chartTitle = svg('title');
  chart.append(chartTitle);

  root.setAttribute('role', 'region');
  root.setAttribute('aria-label', 'What does scaling buy?');
  root.replaceChildren(
    element('div', { className: 'lwm-scaling-controls' }, [width.row, res.row]),
    element('dl', { className: 'lwm-scaling-figures' }, [...params.nodes, ...macs.nodes, ...memory.nodes]),
    status, chart, publishedNote(data.published), bars,
  );

  const xMax = data.extent.macs * 1.05;
  const yMax = data.extent.params * 1.05;
  const x = (m) => CHART.left + (m / xMax) * (CHART.w - CHART.left - CHART.right);
  const y = (p) => CHART.h - CHART.bottom - (p / yMax) * (CHART.h - CHART.top - CHART.bottom);
  drawAxes(chart, x, y, xMax, yMax);
  for (const p of data.published?.points ?? []) {
    const g = svg('g', { class: 'lwm-scaling-published' });
    g.append(svg('circle', { cx: x(p.macs_m * 1e6), cy: y(p.params_m * 1e6), r: 5 }),
      svg('text', { x: x(p.macs_m * 1e6) + 7, y: y(p.params_m * 1e6) + 4 }, `paper α=${p.width_mult}`));
    chart.append(g);
  }
  const current = svg('circle', { r: 6, class: 'lwm-scaling-current' });
  chart.append(current);

  const stageMax = Math.max(...data.extent.stages.map((s) => s.macs));
  function render(d) {
    params.value.textContent = `${exact(d.params)} (${fmtCount(d.params)})`;
    macs.value.textContent = `${exact(d.macs)} (${fmtCount(d.macs)})`;
    memory.value.textContent = `${exact(d.peak_activation_bytes)} bytes (${fmtBytes(d.peak_activation_bytes)})`;
    current.setAttribute('cx', x(d.macs));
    current.setAttribute('cy', y(d.params));
    chartTitle.textContent = `Parameters against MACs: this setting (α = ${d.width_mult}, ${d.resolution} px) ` +
      `at ${fmtCount(d.macs)} MACs and ${fmtCount(d.params)} parameters` +
      (data.published ? ', with the paper\'s published points' : '');
    const rows = d.stages.map((s) => {
      const bar = element('span', { className: 'lwm-scaling-bar' });
      bar.style.width = `${(100 * s.macs) / stageMax}%`;
      return element('tr', {}, [
        element('th', { scope: 'row', textContent: s.name }),
        element('td', { className: 'lwm-scaling-barcell' }, [bar]),
        element('td', { textContent: fmtCount(s.macs) }),
      ]);
    });
    bars.replaceChildren(bars.caption, ...rows);
    root.dataset.params = d.params;
    root.dataset.macs = d.macs;
  }
  render(data.initial);

  // one request in flight; the latest setting wins
  let wanted = null;
  let busy = false;
  async function update() {
    if (busy) return;
    busy = true;
    while (wanted) {
      const request = wanted;
      wanted = null;
      if (!runner.started) status.textContent = 'Starting Python in your browser (this takes a few seconds)…';
      try {
        const result = await runner.run({ kind: RUN_KIND.SCALING, arch: data.arch, ...request });
        if (result.timedOut || result.error) {
          status.textContent = `Python could not compute this setting (${result.error || 'stopped'}).`;
        } else if (!wanted) {
          render(result);
          status.textContent = `Computed in your browser by export/scaling.py (α = ${request.width}, ${request.resolution} px).`;
        }
      } catch (error) {
        status.textContent = `Python could not start (${error.message}). Move a control to try again.`;
      }
    }
    busy = false;
  }
  for (const s of [width, res]) {
    s.input.addEventListener('input', () => {
      s.out.textContent = s.format(s.input.value);
      s.input.setAttribute('aria-valuetext', s.format(s.input.value));
      wanted = { width: Number(width.input.value), resolution: Number(res.input.value) };
      update();
    });
  }
}

function drawAxes(chart, x, y, xMax, yMax) {
  const { h, bottom, left } = CHART;
  chart.append(svg('line', { x1: x(0), y1: y(0), x2: x(xMax), y2: y(0), class: 'lwm-scaling-axis' }),
    svg('line', { x1: x(0), y1: y(0), x2: x(0), y2: y(yMax), class: 'lwm-scaling-axis' }));
  const step = (max) => [1, 2, 5, 10].map((k) => k * 10 ** Math.floor(Math.log10(max / 4))).find((s) => max / s <= 6);
  for (let m = 0, s = step(xMax); m <= xMax; m += s) {
    chart.append(svg('text', { x: x(m), y: h - bottom + 14, 'text-anchor': 'middle' }, `${Math.round(m / 1e6)}`));
  }
  for (let p = 0, s = step(yMax); p <= yMax; p += s) {
    chart.append(svg('text', { x: left - 6, y: y(p) + 4, 'text-anchor': 'end' }, `${(p / 1e6).toFixed(1)}`));
  }
  chart.append(svg('text', { x: x(xMax / 2), y: h - 4, 'text-anchor': 'middle' }, 'MACs (millions)'),
    svg('text', { x: 12, y: y(yMax / 2), transform: `rotate(-90 12 ${y(yMax / 2)})`, 'text-anchor': 'middle' }, 'Parameters (millions)'));
}

function publishedNote(published) {
  if (!published) return element('p', { className: 'lwm-scaling-source', textContent: 'Filled: this setting.' });
  const link = element('a', { href: published.url, textContent: published.source });
  return element('p', { className: 'lwm-scaling-source' }, ['Hollow circles: ', link, '. Filled: this setting.']);
}

for (const root of document.querySelectorAll('.lwm-scaling[data-arch]')) {
  setUp(root, JSON.parse(root.querySelector('script[type="application/json"]').textContent));
}
