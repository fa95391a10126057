// What is in a file the reader gave us, and its pixels: no DOM.
//
// inspect() reads the bytes, never the file name or the MIME type (a text file renamed
// .jpg is still text), and decides before anything is decoded: which format, how large,
// whether it is complete. A file we refuse gets an InputError whose message is shown to
// the reader as is. decodeToBitmap() then lets the browser decode what we accepted, and
// toRgba() reads its pixels.

import { fmtBytes } from './format.js';

// Refused before decoding: 50 megapixels of RGBA is 200 MB in the canvas alone.
export const MAX_PIXELS = 50_000_000;
export const MAX_FILE_BYTES = 100 * 1024 * 1024;
// Below this many pixels on a side, the result is shown with a warning.
export const SMALL_SIDE = 16;

export class InputError extends Error {}

const ascii = (bytes, start, length) => String.fromCharCode(...bytes.subarray(start, start + length));
const u16be = (b, i) => (b[i] << 8) | b[i + 1];
const u32be = (b, i) => ((b[i] << 24) >>> 0) + ((b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]);
const u16le = (b, i) => b[i] | (b[i + 1] << 8);
const u24le = (b, i) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16);
const i32le = (b, i) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);

function png(b) {
  if (b.length < 33 || ascii(b, 12, 4) !== 'IHDR') throw new InputError('This PNG file is damaged: its header is missing.');
  const info = { format: 'PNG', width: u32be(b, 16), height: u32be(b, 20), notes: [] };
  const depth = b[24];
  if (depth === 16) info.notes.push('16-bit PNG: the browser reduces it to 8 bits per channel, as the models expect.');
  // walk the chunks: an acTL before the image data makes it an animated PNG
  let sawEnd = false;
  for (let i = 8; i + 8 <= b.length; ) {
    const length = u32be(b, i);
    const type = ascii(b, i + 4, 4);
    if (type === 'acTL') info.notes.push('Animated PNG: only its first frame is classified.');
    if (type === 'IEND') sawEnd = true;
    i += 12 + length;
  }
  if (!sawEnd) throw new InputError('This PNG file is truncated: it ends before the image does.');
  return info;
}

// SOF markers that carry the frame size: C0-CF except DHT (C4), JPG (C8) and DAC (CC).
const isSof = (m) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

function jpeg(b) {
  const info = { format: 'JPEG', width: 0, height: 0, notes: [] };
  const truncated = () => new InputError('This JPEG file is truncated: it ends before the image does.');
  let i = 2;
  let scanStart = -1;
  while (i < b.length) {
    if (b[i] !== 0xff) throw new InputError('This JPEG file is damaged: a marker is missing where one should be.');
    while (b[i] === 0xff) i++; // fill bytes
    const marker = b[i++];
    if (marker === undefined) throw truncated();
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue; // no length
    if (marker === 0xd9) throw truncated(); // the end, before any image data
    if (i + 2 > b.length) throw truncated();
    const length = u16be(b, i);
    if (i + length > b.length) throw truncated();
    if (isSof(marker)) {
      info.height = u16be(b, i + 3);
      info.width = u16be(b, i + 5);
      const components = b[i + 7];
      if (components === 4) info.notes.push('CMYK JPEG: the browser converts its colours to RGB, which may differ slightly from the original.');
    }
    if (marker === 0xda) {
      scanStart = i + length;
      break;
    }
    i += length;
  }
  if (scanStart < 0) throw truncated();
  // entropy-coded data never holds FF D9 (a literal FF is stuffed as FF 00), so the first
  // FF D9 after the first scan is the end of the image
  let end = -1;
  for (let j = scanStart; j + 1 < b.length; j++) {
    if (b[j] === 0xff && b[j + 1] === 0xd9) {
      end = j;
      break;
    }
  }
  if (end < 0) throw truncated();
  if (!info.width || !info.height) throw new InputError('This JPEG file is damaged: it has no image size.');
  return info;
}

function gif(b) {
  if (b.length < 13) throw new InputError('This GIF file is truncated: it ends before the image does.');
  const info = { format: 'GIF', width: u16le(b, 6), height: u16le(b, 8), notes: [] };
  // walk the blocks and count frames (image descriptors)
  const skipSubBlocks = (j) => {
    while (j < b.length && b[j] !== 0) j += b[j] + 1;
    return j + 1;
  };
  let i = 13;
  if (b[10] & 0x80) i += 3 * (2 << (b[10] & 7)); // global colour table
  let frames = 0;
  while (i < b.length && b[i] !== 0x3b) {
    if (b[i] === 0x21) {
      i = skipSubBlocks(i + 2);
    } else if (b[i] === 0x2c) {
      frames++;
      const flags = b[i + 9];
      i += 10;
      if (flags & 0x80) i += 3 * (2 << (flags & 7)); // local colour table
      i = skipSubBlocks(i + 1); // LZW minimum code size, then the data
    } else {
      break;
    }
  }
  if (frames === 0) throw new InputError('This GIF file is damaged or truncated: it holds no image.');
  if (frames > 1) info.notes.push(`Animated GIF (${frames} frames): only the first frame is classified.`);
  return info;
}

function webp(b) {
  const info = { format: 'WebP', width: 0, height: 0, notes: [] };
  const chunk = ascii(b, 12, 4);
  if (chunk === 'VP8X' && b.length >= 30) {
    if (b[20] & 0x02) info.notes.push('Animated WebP: only its first frame is classified.');
    info.width = u24le(b, 24) + 1;
    info.height = u24le(b, 27) + 1;
  } else if (chunk === 'VP8 ' && b.length >= 30) {
    info.width = u16le(b, 26) & 0x3fff;
    info.height = u16le(b, 28) & 0x3fff;
  } else if (chunk === 'VP8L' && b.length >= 25) {
    const bits = b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24);
    info.width = (bits & 0x3fff) + 1;
    info.height = ((bits >> 14) & 0x3fff) + 1;
  } else {
    throw new InputError('This WebP file is damaged: its header is not one we know.');
  }
  return info;
}

// ISO base media files (HEIC, HEIF, AVIF) open with an 'ftyp' box listing brands.
const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs', 'mif1', 'msf1']);

function isoMedia(b) {
  const boxSize = Math.min(u32be(b, 0), b.length);
  const brands = [ascii(b, 8, 4)];
  for (let i = 16; i + 4 <= boxSize; i += 4) brands.push(ascii(b, i, 4));
  if (brands.includes('avif') || brands.includes('avis')) {
    return { format: 'AVIF', width: 0, height: 0, notes: [] }; // size is known after decoding
  }
  if (brands.some((x) => HEIF_BRANDS.has(x))) {
    throw new InputError(
      'HEIC/HEIF images (the iPhone photo format) are not supported here: browsers cannot decode them. ' +
        'Export the photo as JPEG or PNG and try again.',
    );
  }
  throw new InputError(`This is a video or media file (brand "${brands[0]}"), not an image.`);
}

function looksLikeText(b) {
  const n = Math.min(b.length, 1024);
  for (let i = 0; i < n; i++) {
    const c = b[i];
    if (c === 0 || (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d)) return false;
  }
  return true;
}

function textStart(b) {
  let s = new TextDecoder('utf-8', { fatal: false }).decode(b.subarray(0, 4096));
  s = s.replace(/^\uFEFF/, '').trimStart();
  return s;
}

// bytes: the whole file (Uint8Array); name: shown in messages only.
// Returns {format, width, height, notes}; throws InputError with a reader-facing message.
export function inspect(bytes, name = 'this file') {
  const b = bytes;
  checkFileSize(b.length, name);
  let info;
  if (b.length >= 8 && u32be(b, 0) === 0x89504e47 && u32be(b, 4) === 0x0d0a1a0a) info = png(b);
  else if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) info = jpeg(b);
  else if (b.length >= 6 && (ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a')) info = gif(b);
  else if (b.length >= 16 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') info = webp(b);
  else if (b.length >= 26 && ascii(b, 0, 2) === 'BM') {
    info = { format: 'BMP', width: Math.abs(i32le(b, 18)), height: Math.abs(i32le(b, 22)), notes: [] };
  } else if (b.length >= 12 && ascii(b, 4, 4) === 'ftyp') info = isoMedia(b);
  else if (b.length >= 4 && (ascii(b, 0, 4) === 'II*\0' || ascii(b, 0, 4) === 'MM\0*')) {
    throw new InputError('TIFF images are not supported here: browsers cannot decode them. Use JPEG or PNG.');
  } else if (looksLikeText(b)) {
    const s = textStart(b);
    if (/^(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*(<!DOCTYPE svg[^>]*>\s*)?<svg[\s>]/i.test(s) || /^<svg[\s>]/i.test(s)) {
      throw new InputError(
        'SVG drawings are not accepted: an SVG is a program-like vector file that can load other files, ' +
          'and these models classify photos. Use a PNG or JPEG image.',
      );
    }
    throw new InputError(`${name} holds text, not an image, whatever its name says. Choose a PNG, JPEG, GIF or WebP image.`);
  } else {
    throw new InputError(`${name} is not an image format this app can read. Choose a PNG, JPEG, GIF or WebP image.`);
  }
  if (info.width && info.height) checkSize(info.width, info.height);
  return info;
}

// Called with the file's size before its bytes are read, and again by inspect().
export function checkFileSize(size, name = 'this file') {
  if (size === 0) throw new InputError(`${name} is empty (0 bytes): there is no image in it.`);
  if (size > MAX_FILE_BYTES) {
    throw new InputError(`${name} is ${fmtBytes(size)}; this app reads files up to ${MAX_FILE_BYTES / 1024 / 1024} MiB.`);
  }
}

// Refuse images too large to decode safely; reused after decoding for formats whose size
// we did not read from the header.
export function checkSize(width, height) {
  if (width * height > MAX_PIXELS) {
    throw new InputError(
      `This image is ${width} × ${height} pixels (${((width * height) / 1e6).toFixed(0)} megapixels); ` +
        `this app refuses images over ${MAX_PIXELS / 1e6} megapixels to keep your browser responsive. ` +
        'Scale it down and try again.',
    );
  }
}

export function smallNote(width, height) {
  if (width >= SMALL_SIDE && height >= SMALL_SIDE) return null;
  return `This image is only ${width} × ${height} pixels: it is enlarged to the model's input size, so the answer says little.`;
}

// Let the browser decode the image, honouring EXIF orientation and without colour
// management or premultiplied alpha, so PNG pixels are the exact bytes Python reads.
export async function decodeToBitmap(blob) {
  try {
    return await createImageBitmap(blob, {
      imageOrientation: 'from-image',
      colorSpaceConversion: 'none',
      premultiplyAlpha: 'none',
    });
  } catch (err) {
    throw new InputError(`The browser could not decode this image (${err.message || err.name}). It may be damaged.`);
  }
}

// Anything drawable (ImageBitmap, video frame, canvas) -> {pixels: RGBA Uint8ClampedArray, width, height}
export function toRgba(source, width, height) {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(source, 0, 0, width, height);
  const { data } = ctx.getImageData(0, 0, width, height);
  return { pixels: data, width, height, channels: 4 };
}
