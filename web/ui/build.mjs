#!/usr/bin/env node
// The web interface's build: no bundler, the browser loads the ES modules of src/ as they are.
// This checks the translation table (every key used in src/ exists, no string empty, both
// languages with the same {placeholders}; src/i18n.js), then copies index.html, src/ and the
// vendored npm files listed in package.json "hallwatch.vendor" ({"pkg": ["dist/file.js", …]},
// installed by `npm ci` from the lock file) into the output folder, which it replaces whole.
// Usage: node build.mjs --out DIR
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const outArg = args[args.indexOf('--out') + 1];
if (!args.includes('--out') || !outArg) {
  console.error('usage: node build.mjs --out DIR');
  process.exit(2);
}
const out = resolve(outArg);
const problems = [];

function walk(dir) {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

// ---- translations ---------------------------------------------------------------------------
const { TABLE, LANGS } = await import(join(here, 'src/i18n.js'));
const holes = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(',');
for (const [key, row] of Object.entries(TABLE)) {
  if (!Array.isArray(row) || row.length !== LANGS.length || row.some((s) => typeof s !== 'string' || !s.trim()))
    problems.push(`src/i18n.js: "${key}" needs ${LANGS.length} non-empty strings (${LANGS.join(', ')})`);
  else if (new Set(row.map(holes)).size !== 1)
    problems.push(`src/i18n.js: "${key}": the languages disagree on placeholders: ${row.map(holes).join(' / ')}`);
}
const sources = walk(join(here, 'src')).filter((p) => p.endsWith('.js'));
for (const file of sources) {
  const text = readFileSync(file, 'utf8');
  // t('key' …) with a whole literal key; keys built at run time (t('nav.' + id)) are checked by
  // test/ui.test.mjs against the lists they come from.
  for (const m of text.matchAll(/\bt\(\s*'([^']+)'\s*[,)]/g))
    if (!(m[1] in TABLE)) problems.push(`${relative(here, file)}: t('${m[1]}') is not in src/i18n.js`);
  if (/\.innerHTML\s*=|insertAdjacentHTML|document\.write/.test(text))
    problems.push(`${relative(here, file)}: builds HTML from strings; use dom.js h() instead`);
}

// ---- vendored npm files -----------------------------------------------------------------------
const pkg = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'));
const vendor = (pkg.hallwatch && pkg.hallwatch.vendor) || {};
const copies = [];
for (const [name, files] of Object.entries(vendor)) {
  for (const f of files) {
    const from = join(here, 'node_modules', name, f);
    if (!existsSync(from)) problems.push(`vendor ${name}/${f}: not in node_modules (run \`npm ci\` in web/ui; scripts/setup does)`);
    else copies.push([from, join('vendor', basename(f))]);
  }
}

if (problems.length) {
  console.error(problems.map((p) => 'web/ui: ' + p).join('\n'));
  process.exit(1);
}

// ---- output: built beside, then swapped in, so a server never sees half of it ---------------
const tmp = out + '.tmp';
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });
cpSync(join(here, 'src'), tmp, { recursive: true });
cpSync(join(here, 'index.html'), join(tmp, 'index.html'));
for (const [from, to] of copies) {
  mkdirSync(dirname(join(tmp, to)), { recursive: true });
  cpSync(from, join(tmp, to));
}
rmSync(out, { recursive: true, force: true });
renameSync(tmp, out);
console.log(`web/ui: ${sources.length} modules, ${Object.keys(TABLE).length} strings × ${LANGS.length} languages, ${copies.length} vendored files → ${out}`);
