#!/usr/bin/env node
/**
 * Page weight of the built dashboard (web/dist): per page, the JS and CSS a browser loads to show it
 * (entry + the page's chunk + their static imports), raw and gzipped. NiiVue's optional zarr/blosc
 * decoders are dynamic imports that these volumes never trigger, so they are not counted.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const dist = path.resolve(import.meta.dirname, '../web/dist');
const manifest = JSON.parse(readFileSync(path.join(dist, '.vite/manifest.json'), 'utf8'));
const entryKey = Object.keys(manifest).find((k) => manifest[k].isEntry);

function closure(key, seen = new Set()) {
  if (seen.has(key)) return seen;
  seen.add(key);
  for (const i of manifest[key].imports ?? []) closure(i, seen);
  return seen;
}
function files(keys) {
  const out = new Set();
  for (const k of keys) {
    out.add(manifest[k].file);
    for (const c of manifest[k].css ?? []) out.add(c);
  }
  return out;
}
const size = (f) => {
  const b = readFileSync(path.join(dist, f));
  return { raw: b.length, gzip: gzipSync(b, { level: 9 }).length };
};
const base = files(closure(entryKey));
const rows = [];
for (const [key, _m] of Object.entries(manifest)) {
  const page = /pages\/(\w+)\.ts$/.exec(key)?.[1];
  if (!page) continue;
  const all = new Set([...base, ...files(closure(key))]);
  const t = { page, js: 0, jsGzip: 0, css: 0, cssGzip: 0 };
  for (const f of all) {
    const s = size(f);
    if (f.endsWith('.css')) (t.css += s.raw), (t.cssGzip += s.gzip);
    else (t.js += s.raw), (t.jsGzip += s.gzip);
  }
  rows.push(t);
}
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log('page          JS (gzip)              CSS (gzip)');
for (const r of rows.sort((a, b) => a.page.localeCompare(b.page))) {
  console.log(
    `${r.page.padEnd(13)} ${kb(r.js).padStart(10)} (${kb(r.jsGzip).padStart(9)})  ${kb(r.css).padStart(8)} (${kb(r.cssGzip)})`,
  );
}
