// One browser of another engine, driven line by line from pytest (tests/e2e/engines.py).
//
//   node tests/e2e/engines.mjs firefox            # Debian's firefox-esr, WebDriver BiDi (puppeteer-core)
//   xvfb-run -a node tests/e2e/engines.mjs webkit # WebKitGTK's MiniBrowser, WebKitWebDriver (selenium-webdriver)
//
// Playwright cannot download its own Firefox or WebKit here, so the distribution's browsers
// are driven through their own WebDriver endpoints. Each stdin line is a JSON command
// {id, cmd, ...}; each stdout line the reply {id, ok, value | error}. The commands are the few
// a smoke test needs, the same for both engines: goto, eval (an async function body that
// receives `args`), click and type (a real pointer click and real key presses on a CSS
// selector), key (one key, e.g. Enter), version, quit.

import { execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import readline from 'node:readline';

const engine = process.argv[2];
const FIREFOX = process.env.FIREFOX ?? '/usr/bin/firefox-esr';
const WEBKIT_DRIVER = process.env.WEBKIT_DRIVER ?? 'WebKitWebDriver';
const TIMEOUT_MS = 180_000; // a first Pyodide start or a model download on a busy 2-core machine

// the function body runs in the page as an async function of `args`; its value comes back as JSON
const wrap = (body) => `return (async (args) => { ${body} })(arguments[0]);`;

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function firefox() {
  const { default: puppeteer } = await import('puppeteer-core');
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    protocolTimeout: TIMEOUT_MS,
  });
  const page = await browser.newPage();
  page.setDefaultTimeout(TIMEOUT_MS);
  return {
    version: async () => browser.version(),
    goto: async ({ url }) => void (await page.goto(url, { waitUntil: 'load' })),
    eval: async ({ body, args }) => page.evaluate(`(async (args) => { ${body} })(${JSON.stringify(args ?? null)})`),
    click: async ({ selector }) => page.click(selector),
    type: async ({ selector, text }) => {
      await page.focus(selector);
      await page.keyboard.type(text);
    },
    key: async ({ key }) => {
      // "Control+End": modifiers held around the last key
      const [last, ...mods] = key.split('+').reverse();
      for (const m of mods) await page.keyboard.down(m);
      await page.keyboard.press(last);
      for (const m of mods) await page.keyboard.up(m);
    },
    quit: async () => browser.close(),
  };
}

async function webkit() {
  const { Builder, By, Key } = await import('selenium-webdriver');
  const binary = execFileSync('dpkg', ['-L', 'libwebkit2gtk-4.1-0'], { encoding: 'utf8' })
    .split('\n')
    .find((line) => line.endsWith('/MiniBrowser'));
  if (!binary) throw new Error('MiniBrowser not found in libwebkit2gtk-4.1-0');
  const port = await freePort();
  const service = spawn(WEBKIT_DRIVER, [`--port=${port}`], { stdio: 'ignore' });
  const serviceExit = new Promise((_, reject) => service.on('exit', (code) => reject(new Error(`WebKitWebDriver exited (${code})`))));
  serviceExit.catch(() => {});
  // the driver answers once it listens
  for (let i = 0; ; i++) {
    const up = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => { socket.end(); resolve(true); });
      socket.on('error', () => resolve(false));
    });
    if (up) break;
    if (i > 100) throw new Error('WebKitWebDriver did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  const driver = await new Builder()
    .usingServer(`http://127.0.0.1:${port}`)
    .withCapabilities({ browserName: 'MiniBrowser', 'webkitgtk:browserOptions': { binary, args: ['--automation'] } })
    .build();
  await driver.manage().setTimeouts({ script: TIMEOUT_MS, pageLoad: TIMEOUT_MS });
  const keys = { End: Key.END, Enter: Key.ENTER, Control: Key.CONTROL, Shift: Key.SHIFT };
  return {
    version: async () => {
      const caps = await driver.getCapabilities();
      return `${caps.get('browserName')} ${caps.get('browserVersion')}`;
    },
    goto: async ({ url }) => driver.get(url),
    eval: async ({ body, args }) => driver.executeScript(wrap(body), args ?? null),
    // a reader scrolls a control into sight before tapping it; WebKitWebDriver does not
    // always scroll one that is below the fold (ElementNotInteractable), so do it first
    click: async ({ selector }) => {
      const el = await driver.findElement(By.css(selector));
      await driver.executeScript("arguments[0].scrollIntoView({ block: 'center' })", el);
      return el.click();
    },
    type: async ({ selector, text }) => driver.findElement(By.css(selector)).sendKeys(text),
    key: async ({ key }) => {
      const [last, ...mods] = key.split('+').reverse().map((k) => keys[k] ?? k);
      let actions = driver.actions();
      for (const m of mods) actions = actions.keyDown(m);
      actions = actions.keyDown(last).keyUp(last);
      for (const m of mods) actions = actions.keyUp(m);
      await actions.perform();
    },
    quit: async () => {
      try {
        await driver.quit();
      } finally {
        service.kill();
      }
    },
  };
}

const engines = { firefox, webkit };
if (!engines[engine]) {
  console.error(`usage: node engines.mjs ${Object.keys(engines).join('|')}`);
  process.exit(2);
}

const reply = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);
let browser;
try {
  browser = await engines[engine]();
  reply({ id: 0, ok: true, value: await browser.version() });
} catch (err) {
  reply({ id: 0, ok: false, error: String(err?.stack ?? err) });
  process.exit(1);
}

// one command at a time, in order
const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) {
  const { id, cmd, ...params } = JSON.parse(line);
  try {
    const value = await browser[cmd](params);
    reply({ id, ok: true, value: value ?? null });
  } catch (err) {
    reply({ id, ok: false, error: String(err?.message ?? err) });
  }
  if (cmd === 'quit') process.exit(0);
}
await browser.quit().catch(() => {}); // stdin closed without a quit: pytest went away
process.exit(0);
