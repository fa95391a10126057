// How numbers are written on the site, in the browser: hooks/lwm_format.py's formatters,
// to the character, so a figure the page computes reads like the same figure in the docs.
// tests/format_cases.json holds one table of cases that both implementations must pass
// (tests/test_format.py). No DOM.
//
//   fmtCount(3_504_872)     // '3.5 M'
//   fmtCount(300_774_272)   // '301 M'
//   fmtBytes(13_393_210)    // '13.4 MB'
//   fmtMs(3.131)            // '3.13 ms'

// SI prefixes, as lwm_format.py explains: the papers' "3.5M parameters", decimal megabytes
const SI = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];

// Python's f'{x:.{digits}f}'. toFixed rounds the exact binary value too, but an exact tie
// (0.125 to two digits, 300.5 to none) goes up in JavaScript and to the even digit in Python.
function fixed(x, digits) {
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const abs = Math.abs(x);
  const rounded = abs.toFixed(digits);
  if (!(abs < 1e21)) return sign + rounded; // exponent form; no figure on the site is this large
  const [whole, fraction] = abs.toFixed(100).split('.'); // every digit of the double
  const rest = fraction.slice(digits);
  if (!/^50*$/.test(rest)) return sign + rounded;
  const kept = whole + (digits ? `.${fraction.slice(0, digits)}` : '');
  return sign + (Number(kept.at(-1)) % 2 === 0 ? kept : rounded);
}

// Python's s.rstrip('0').rstrip('.') on a number that has a decimal point
const trimZeros = (s) => s.replace(/0+$/, '').replace(/\.$/, '');

// About three significant digits, without trailing zeros: 3.5, 11.7, 301, 4.11.
function threeDigits(x) {
  if (x >= 100) return fixed(x, 0);
  if (x >= 10) return trimZeros(fixed(x, 1));
  return trimZeros(fixed(x, 2));
}

function si(n, unit, sep) {
  if (n == null) return 'n/a';
  for (const [scale, prefix] of SI) {
    if (Math.abs(n) >= scale) return `${threeDigits(n / scale)} ${prefix}${unit}`;
  }
  return `${fixed(n, 0)}${sep}${unit}`;
}

/** Parameters and MACs: '3.5 M', '56.5 M', '4.11 G'. */
export const fmtCount = (n) => si(n, '', '');

/** File and memory sizes in decimal units: '13.4 MB', '812 kB'. */
export const fmtBytes = (n) => si(n, 'B', ' ');

/** Latency: '3.13 ms', '42.7 ms'. */
export const fmtMs = (ms) => (ms == null ? 'n/a' : `${threeDigits(ms)} ms`);

/** A fraction as a percentage: 0.9896 -> '99.0 %'. */
export const fmtPct = (fraction, digits = 1) => (fraction == null ? 'n/a' : `${fixed(fraction * 100, digits)} %`);

/** A published accuracy, already in percent (71.878 -> '71.9 %'). */
export const fmtPublishedPct = (value) => (value == null ? 'not published' : `${fixed(value, 1)} %`);
