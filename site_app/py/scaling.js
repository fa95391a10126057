// The architecture pages' scaling controls (<!-- scaling: mobilenet_v1 -->, hooks/shortcodes.py).
// Sliders for the width multiplier and the resolution, and on the EfficientNet page the depth
// multiplier, the compound coefficient φ and the published models B0-B7. Every figure after
// the first comes from lwm/scaling.py run by Pyodide (RUN_KIND.SCALING), the module the
// PyTorch builders read. Pyodide starts only when the reader first moves a control: the
// starting figures, the φ settings and the chart's extent are the same module's, computed
// when the site was built and embedded in the page.

import { RUN_KIND } from './messages.js';
import { getRunner } from './runner.js';
import { element } from './element.js';
import './style.js';
import { fmtBytes, fmtCount } from '../format.js';

const SVG = 'http://www.w3.org/2000/svg';
// The chart is drawn at the width it is shown at (a phone's column, up to 720 px), one unit a
// CSS pixel, so its 12 px text (python.css) stays 12 px: a fixed viewBox shrank it to 6 px on
// a phone. It is drawn again when that width changes.
const CHART = { minW: 280, maxW: 720, left: 52, right: 18, top: 14, bottom: 38 };
// one hollow marker per published series, in order: circle, square, diamond
const MARKERS = ['○', '□', '◇'];

const exact = (n) => n.toLocaleString('en-US');
const decimals = (step) => (String(step).split('.')[1] || '').length;

function svg(tag, attrs = {}, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

// How a control writes its value: 'α = 0.50', 'd = 1.4', 'φ = 2.5', '224×224 px'
function formatter(c) {
  if (c.key === 'resolution') return (v) => `${v}×${v} px`;
  return (v) => `${c.symbol} = ${Number(v).toFixed(decimals(c.step))}`;
}

function slider(id, c) {
  const format = formatter(c);
  const input = element('input', { type: 'range', id, min: c.min, max: c.max, step: c.step, value: c.value });
  const out = element('output', { htmlFor: id, textContent: format(c.value) });
  input.setAttribute('aria-valuetext', format(c.value));
  const row = element('div', { className: 'lwm-scaling-control' }, [
    element('label', { htmlFor: id, textContent: c.label }), input, out,
  ]);
  const set = (v) => {
    input.value = v;
    out.textContent = format(input.value);
    input.setAttribute('aria-valuetext', format(input.value));
  };
  return { key: c.key, symbol: c.symbol, row, input, out, set, get: () => Number(input.value) };
}

function figure(label) {
  const value = element('dd', { textContent: '' });
  return { value, nodes: [element('dt', { textContent: label }), value] };
}

// Axes: linear in millions (the MobileNets), or logarithmic over decades (EfficientNet)
function makeScale(lo, hi, log, from, to) {
  const span = Math.abs(to - from);
  if (!log) return { at: (v) => from + (v / hi) * (to - from), lo: 0, hi, log, span };
  const [a, b] = [Math.log10(lo), Math.log10(hi)];
  return { at: (v) => from + ((Math.log10(v) - a) / (b - a)) * (to - from), lo, hi, log, span };
}

// A log axis writes 1, 2 and 5 of each decade where their labels fit (room: a label's width
// across, its height up), else 1 and 3, else the decades alone
function ticks(scale, room = 16) {
  if (scale.log) {
    const perDecade = scale.span / (Math.log10(scale.hi) - Math.log10(scale.lo));
    const mults = [[1, 2, 5], [1, 3], [1]].find((m) => m.length === 1
      || Math.log10(m[m.length - 1] / m[m.length - 2]) * perDecade >= room);
    const out = [];
    for (let e = Math.floor(Math.log10(scale.lo)); e <= Math.ceil(Math.log10(scale.hi)); e += 1) {
      for (const k of mults) {
        const v = k * 10 ** e;
        if (v >= scale.lo && v <= scale.hi) out.push(v);
      }
    }
    return out;
  }
  const step = [1, 2, 5, 10].map((k) => k * 10 ** Math.floor(Math.log10(scale.hi / 4))).find((s) => scale.hi / s <= 6);
  const out = [];
  for (let v = 0; v <= scale.hi; v += step) out.push(v);
  return out;
}

function drawAxes(chart, xs, ys, h) {
  const { bottom, left } = CHART;
  const x0 = xs.at(xs.lo);
  const y0 = ys.at(ys.lo);
  chart.append(svg('line', { x1: x0, y1: y0, x2: xs.at(xs.hi), y2: y0, class: 'lwm-scaling-axis' }),
    svg('line', { x1: x0, y1: y0, x2: x0, y2: ys.at(ys.hi), class: 'lwm-scaling-axis' }));
  // linear axes count millions; log axes write each tick as the site writes counts (10 M, 1 G)
  const label = (v, scale) => (scale.log ? fmtCount(v) : `${scale === ys ? (v / 1e6).toFixed(1) : Math.round(v / 1e6)}`);
  for (const v of ticks(xs, 48)) {
    chart.append(svg('text', { x: xs.at(v), y: h - bottom + 14, 'text-anchor': 'middle' }, label(v, xs)));
  }
  for (const v of ticks(ys)) {
    chart.append(svg('text', { x: left - 6, y: ys.at(v) + 3, 'text-anchor': 'end' }, label(v, ys)));
  }
  const unit = xs.log ? ' (log scale)' : ' (millions)';
  const mid = (ys.at(ys.lo) + ys.at(ys.hi)) / 2;
  chart.append(svg('text', { x: (x0 + xs.at(xs.hi)) / 2, y: h - 4, 'text-anchor': 'middle' }, `MACs${unit}`),
    svg('text', { x: 10, y: mid, transform: `rotate(-90 10 ${mid})`, 'text-anchor': 'middle' }, `Parameters${unit}`));
}

function marker(shape, x, y) {
  if (shape === 1) return svg('rect', { x: x - 4, y: y - 4, width: 8, height: 8 });
  if (shape === 2) return svg('polygon', { points: `${x},${y - 5.5} ${x + 5.5},${y} ${x},${y + 5.5} ${x - 5.5},${y}` });
  return svg('circle', { cx: x, cy: y, r: 5 });
}

// The published points: a hollow marker per point, its source in a tooltip (<title>)
function drawPublished(chart, series, xs, ys) {
  series.forEach((s, i) => {
    for (const p of s.points) {
      const [x, y] = [xs.at(p.macs_m * 1e6), ys.at(p.params_m * 1e6)];
      const g = svg('g', { class: 'lwm-scaling-published' });
      g.append(svg('title', {}, `${p.label}: ${fmtCount(p.params_m * 1e6)} parameters, ` +
        `${fmtCount(p.macs_m * 1e6)} mult-adds, top-1 ${p.top1} % (${s.source})`), marker(i, x, y));
      if (s.labels) g.append(svg('text', { x: x + 7, y: y + 4 }, p.short));
      chart.append(g);
    }
  });
}

function legend(data) {
  const parts = ['Filled: this setting, computed by lwm/scaling.py.'];
  if (data.phi) parts.push(' Dashed: Equation 3 from φ = 0 to 7, the same arithmetic.');
  const items = data.published.map((s, i) => {
    const settings = s.settings
      ? [' (', element('a', { href: s.settings.url, textContent: s.settings.text }), ')'] : [];
    return element('li', {}, [`${MARKERS[i]} `, element('a', { href: s.url, textContent: s.source }), ...settings]);
  });
  return element('div', { className: 'lwm-scaling-source' }, [
    element('p', { textContent: parts.join('') }),
    ...(items.length ? [element('p', { textContent: 'Hollow: the papers\' published points (hover for their figures; the table below lists them all):' }),
      element('ul', {}, items)] : []),
  ]);
}

function setUp(root, data) {
  const runner = getRunner();
  const sliders = data.controls.map((c) => slider(`scaling-${data.arch}-${c.key}`, c));
  const byKey = Object.fromEntries(sliders.map((s) => [s.key, s]));
  const dims = sliders.filter((s) => s.key !== 'phi');  // what describe() takes
  const params = figure('Parameters');
  const macs = figure('MACs (multiply-accumulates, one image)');
  const memory = figure('Peak activation memory (fp32, batch 1)');
  const status = element('p', { className: 'py-status' });
  status.setAttribute('role', 'status');
  const setting = element('p', { className: 'lwm-scaling-setting' });
  const bars = element('table', { className: 'lwm-scaling-stages' });
  bars.append(element('caption', {
    textContent: data.logScale
      ? 'MACs per stage (bar length relative to this setting\'s largest stage)'
      : 'MACs per stage (bar length on the scale of the largest setting the controls offer)',
  }));
  const chart = svg('svg', { role: 'img', class: 'lwm-scaling-chart' });
  const chartTitle = svg('title');
  const plot = svg('g');
  chart.append(chartTitle, plot);

  // EfficientNet: the published models as buttons, which set width, depth and resolution
  const presetButtons = (data.presets ?? []).map((p) => {
    const b = element('button', { type: 'button', className: 'md-button', textContent: p.short });
    b.setAttribute('aria-label', `${p.name}: w = ${p.width_mult}, d = ${p.depth_mult}, ${p.resolution} px`);
    b.addEventListener('click', () => {
      for (const key of ['width_mult', 'depth_mult', 'resolution']) byKey[key].set(p[key]);
      changed();
    });
    return b;
  });
  const presets = data.presets ? element('div', { className: 'lwm-scaling-presets', role: 'group' }, [
    element('span', { textContent: 'Published models (the authors\' settings):' }), ...presetButtons,
  ]) : null;
  presets?.setAttribute('aria-label', 'Published models');

  root.setAttribute('role', 'region');
  root.setAttribute('aria-label', 'What does scaling buy?');
  root.replaceChildren(
    element('div', { className: 'lwm-scaling-controls' }, sliders.map((s) => s.row)),
    ...(presets ? [presets] : []), setting,
    element('dl', { className: 'lwm-scaling-figures' }, [...params.nodes, ...macs.nodes, ...memory.nodes]),
    status, chart, legend(data), bars,
  );

  // the axes hold every point drawn: the settings the controls offer, Equation 3's path and
  // each published point (MobileNetV2's α = 1.4 has more parameters than the controls reach)
  const published = data.published.flatMap((s) => s.points);
  const bounds = (key) => {
    const all = [data.floor[key], data.extent[key], ...(data.phi ?? []).map((p) => p[key]),
      ...published.map((p) => p[`${key}_m`] * 1e6)];
    const [lo, hi] = [Math.min(...all), Math.max(...all)];
    return data.logScale ? [lo / 1.3, hi * 1.3] : [0, hi * 1.05];
  };
  const current = svg('circle', { r: 6, class: 'lwm-scaling-current' });
  let xs;
  let ys;
  let drawnWidth = 0;
  let shown = data.initial;  // the setting whose figures the page shows
  function drawChart() {
    const { minW, maxW, left, right, top, bottom } = CHART;
    const w = Math.round(Math.min(maxW, Math.max(minW, chart.getBoundingClientRect().width || 420)));
    const h = Math.round(Math.min(320, Math.max(230, w * 0.6)));
    drawnWidth = w;
    chart.setAttribute('viewBox', `0 0 ${w} ${h}`);
    xs = makeScale(...bounds('macs'), data.logScale, left, w - right);
    ys = makeScale(...bounds('params'), data.logScale, h - bottom, top);
    plot.replaceChildren();
    drawAxes(plot, xs, ys, h);
    if (data.phi) {
      const pts = data.phi.map((p) => `${xs.at(p.macs)},${ys.at(p.params)}`).join(' ');
      plot.append(svg('polyline', { points: pts, class: 'lwm-scaling-path' }));
    }
    drawPublished(plot, data.published, xs, ys);
    plot.append(current);
    current.setAttribute('cx', xs.at(shown.macs));
    current.setAttribute('cy', ys.at(shown.params));
  }
  drawChart();
  new ResizeObserver(() => {
    const w = Math.round(chart.getBoundingClientRect().width);
    if (w && Math.abs(Math.min(CHART.maxW, Math.max(CHART.minW, w)) - drawnWidth) > 1) drawChart();
  }).observe(chart);

  // 'α = 0.5, 224 px' or 'w = 1.2, d = 1.4, 300 px'
  const describeSetting = (d) => dims.map((s) => (s.key === 'resolution'
    ? `${d.resolution} px` : `${s.symbol} = ${d[s.key]}`)).join(', ');

  // which published model, or which φ of Equation 3, the controls now show (a lookup in the
  // embedded tables, not arithmetic)
  function describeMatch() {
    const now = Object.fromEntries(dims.map((s) => [s.key, s.get()]));
    const same = (p) => dims.every((s) => Math.abs(p[s.key] - now[s.key]) < 1e-9);
    const equation = (p) => `Equation 3 at φ = ${p.phi} (d = ${p.exact.depth_mult.toFixed(2)}, ` +
      `w = ${p.exact.width_mult.toFixed(2)}, ${p.exact.resolution.toFixed(0)} px), rounded to the controls' steps`;
    const names = [
      ...(data.presets ?? []).filter(same).map((p) => `${p.name} as the authors build it`),
      ...(data.phi ?? []).filter(same).map(equation),
    ];
    setting.textContent = names.length ? `This setting is ${names.join('; and ')}.` : 'This setting is your own.';
    for (const [i, b] of presetButtons.entries()) b.setAttribute('aria-pressed', String(same(data.presets[i])));
    setting.hidden = !data.presets;
    const phi = byKey.phi;
    if (phi) {
      // φ shows its value only while the other controls hold its setting
      const p = data.phi.find((q) => Math.abs(q.phi - phi.get()) < 1e-9);
      const text = same(p) ? `φ = ${p.phi}` : 'φ: none';
      phi.out.textContent = text;
      phi.input.setAttribute('aria-valuetext', text);
    }
  }

  let stageMax = Math.max(...data.extent.stages.map((s) => s.macs));
  // While Python has not answered, the figures are the last setting's: marked as such (and
  // busy for a screen reader), never shown as the setting the controls now hold.
  const figureList = root.querySelector('.lwm-scaling-figures');
  function markStale(stale) {
    for (const el of [figureList, chart, bars]) el.classList.toggle('lwm-scaling-stale', stale);
    if (stale) figureList.setAttribute('aria-busy', 'true');
    else figureList.removeAttribute('aria-busy');
  }
  function render(d) {
    shown = d;
    markStale(false);
    params.value.textContent = `${exact(d.params)} (${fmtCount(d.params)})`;
    macs.value.textContent = `${exact(d.macs)} (${fmtCount(d.macs)})`;
    memory.value.textContent = `${exact(d.peak_activation_bytes)} bytes (${fmtBytes(d.peak_activation_bytes)})`;
    current.setAttribute('cx', xs.at(d.macs));
    current.setAttribute('cy', ys.at(d.params));
    chartTitle.textContent = `Parameters against MACs: this setting (${describeSetting(d)}) ` +
      `at ${fmtCount(d.macs)} MACs and ${fmtCount(d.params)} parameters` +
      (data.published.length ? ', with the papers\' published points' : '');
    if (data.logScale) stageMax = Math.max(...d.stages.map((s) => s.macs));
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
  describeMatch();
  // the download is said before the reader starts it (its size: the files the site ships)
  const download = `${fmtBytes(data.pythonBytes)} of Python (Pyodide), downloaded once`;
  status.textContent = `Moving a control starts Python in your browser: ${download}.`;

  // one request in flight; the latest setting wins
  let wanted = null;
  let busy = false;
  async function update() {
    if (busy) return;
    busy = true;
    while (wanted) {
      const request = wanted;
      wanted = null;
      markStale(true);
      status.textContent = (runner.started ? 'Computing…' : `Starting Python in your browser (${download})…`) +
        ` Until it answers, the figures below are those of ${describeSetting(shown)}.`;
      try {
        const result = await runner.run({ kind: RUN_KIND.SCALING, arch: data.arch, ...request });
        if (result.timedOut || result.error) {
          status.textContent = `Python could not compute this setting (${result.error || 'stopped'}). ` +
            `The figures below are those of ${describeSetting(shown)}.`;
        } else if (!wanted) {
          render(result);
          status.textContent = `Computed in your browser by lwm/scaling.py (${describeSetting(result)}).`;
        }
      } catch (error) {
        status.textContent = `Python could not start (${error.message}). Move a control to try again. ` +
          `The figures below are those of ${describeSetting(shown)}.`;
      }
    }
    busy = false;
  }
  function changed() {
    describeMatch();
    wanted = {
      width: byKey.width_mult.get(),
      resolution: byKey.resolution.get(),
      depth: byKey.depth_mult ? byKey.depth_mult.get() : 1,
    };
    update();
  }
  for (const s of sliders) {
    s.input.addEventListener('input', () => {
      s.set(s.input.value);
      if (s.key === 'phi') {
        // φ sets the other three to Equation 3's values (embedded by the build)
        const p = data.phi.find((q) => Math.abs(q.phi - s.get()) < 1e-9);
        for (const key of ['width_mult', 'depth_mult', 'resolution']) byKey[key].set(p[key]);
      }
      changed();
    });
  }
}

for (const root of document.querySelectorAll('.lwm-scaling[data-arch]')) {
  setUp(root, JSON.parse(root.querySelector('script[type="application/json"]').textContent));
}
