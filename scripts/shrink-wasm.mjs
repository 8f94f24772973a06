#!/usr/bin/env node
// Take out of the worker's wasm what it does not need at run time, in the wasm and in the
// JavaScript glue that loads it (build/index_bg.wasm and build/index.js, after worker-build):
//
// - long import names. wasm-bindgen names each import `__wbg_<name>_<16 hex digits>`: about 160
//   of them, each name written twice (the wasm's import section, the glue's import object),
//   5 KB of which a third is random hex that gzip cannot shrink. Renamed `a`, `b`, ... they cost
//   almost nothing. Only the names change, never the code.
// - custom sections: `name` (wasm-bindgen's names for its generated shims), `producers` and
//   `target_features` (which tools made it). Nothing reads them at run time.
//
// Together about 6 KB of the gzipped bundle (BENCHMARKS.md, "Bundle size").
//
// Safe by construction: every import of the glue's module is renamed, each new name is checked
// to be free in the glue, each old name must appear in the glue exactly once, as a key of the
// import object (`name:`), and the result must read back as written, or nothing is written and
// the build fails.
//
//   node scripts/shrink-wasm.mjs build/index_bg.wasm build/index.js

import { readFileSync, writeFileSync } from "node:fs";

const [wasmPath, jsPath] = process.argv.slice(2);
if (!wasmPath || !jsPath) {
  console.error("usage: shrink-wasm.mjs <module.wasm> <glue.js>");
  process.exit(2);
}
const fail = (msg) => {
  console.error(`shrink-wasm: ${msg}; nothing was changed`);
  process.exit(1);
};

const wasm = readFileSync(wasmPath);
const js = readFileSync(jsPath, "utf8");

function leb(buf, pos) {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    const b = buf[pos++];
    if (b === undefined) fail("truncated wasm");
    result |= BigInt(b & 0x7f) << shift;
    shift += 7n;
    if (b < 0x80) return [Number(result), pos];
  }
}
function encodeLeb(n) {
  const out = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return Buffer.from(out);
}
const encodeName = (s) => {
  const b = Buffer.from(s, "utf8");
  return Buffer.concat([encodeLeb(b.length), b]);
};

// the import section: where it is, and each import's module name, field name and what it
// imports (kept as its bytes)
function parseImports(buf) {
  if (buf.readUInt32LE(0) !== 0x6d736100 || buf.readUInt32LE(4) !== 1) fail("not a wasm module");
  const sections = [];
  for (let pos = 8; pos < buf.length; ) {
    const id = buf[pos];
    const [size, body] = leb(buf, pos + 1);
    sections.push({ id, start: pos, body, end: body + size });
    pos = body + size;
  }
  const imp = sections.filter((s) => s.id === 2);
  if (imp.length !== 1) fail("the wasm has no (or more than one) import section");
  const sec = imp[0];
  const skipLimits = (pos) => {
    const flags = buf[pos++];
    [, pos] = leb(buf, pos);
    if (flags & 1) [, pos] = leb(buf, pos);
    return pos;
  };
  const skipType = (pos) => {
    const t = buf[pos++];
    // (ref ht) / (ref null ht): a heap type follows
    if (t === 0x63 || t === 0x64) [, pos] = leb(buf, pos);
    return pos;
  };
  let [count, pos] = leb(buf, sec.body);
  const entries = [];
  for (let i = 0; i < count; i++) {
    let len;
    [len, pos] = leb(buf, pos);
    const module = buf.toString("utf8", pos, pos + len);
    pos += len;
    [len, pos] = leb(buf, pos);
    const field = buf.toString("utf8", pos, pos + len);
    pos += len;
    const descStart = pos;
    const kind = buf[pos++];
    if (kind === 0x00) [, pos] = leb(buf, pos); // function: type index
    else if (kind === 0x01) pos = skipLimits(skipType(pos)); // table
    else if (kind === 0x02) pos = skipLimits(pos); // memory
    else if (kind === 0x03) pos = skipType(pos) + 1; // global: type, mutability
    else if (kind === 0x04) [, pos] = leb(buf, pos + 1); // tag: attribute, type index
    else fail(`unknown import kind ${kind}`);
    entries.push({ module, field, desc: buf.subarray(descStart, pos) });
  }
  if (pos !== sec.end) fail("the import section did not parse to its end");
  return { sec, entries, sections };
}

const { sec, entries, sections } = parseImports(wasm);
const glueModule = "./index_bg.js";
const renamed = entries.filter((e) => e.module === glueModule);
if (renamed.length === 0) fail(`no imports from ${glueModule}`);
// already done (worker-build left its output as it was): nothing to do
if (renamed.every((e) => !e.field.startsWith("__wbg") && !e.field.startsWith("__wbindgen"))) {
  console.log("shrink-wasm: already done");
  process.exit(0);
}

// short names: a, b, ..., z, A, ..., Z, aa, ab, ... (skipping any already in either file)
const taken = new Set(entries.map((e) => e.field));
const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
let next = 0;
function shortName() {
  for (;;) {
    let n = next++;
    let s = "";
    do {
      s = alphabet[n % alphabet.length] + s;
      n = Math.floor(n / alphabet.length) - 1;
    } while (n >= 0);
    const key = new RegExp(`[{,]${s}:`);
    if (!taken.has(s) && !key.test(js)) return s;
  }
}

let glue = js;
for (const e of renamed) {
  const escaped = e.field.replace(/[$]/g, "\\$");
  const key = new RegExp(`(?<![A-Za-z0-9_$])${escaped}(?=:)`, "g");
  const uses = glue.match(new RegExp(`(?<![A-Za-z0-9_$])${escaped}(?![A-Za-z0-9_$])`, "g")) || [];
  const keys = glue.match(key) || [];
  if (uses.length !== 1 || keys.length !== 1) {
    fail(`the glue names import ${e.field} ${uses.length} times (${keys.length} as a key), not once as a key`);
  }
  e.short = shortName();
  glue = glue.replace(key, e.short);
}

const parts = [encodeLeb(entries.length)];
for (const e of entries) parts.push(encodeName(e.module), encodeName(e.short ?? e.field), e.desc);
const newBody = Buffer.concat(parts);
// the sections as they were, but the import section rewritten and no custom section (but the
// `name` section when BAGROOM_WASM_KEEP_NAMES=1: bench/profile.sh's build, for function names)
const keepNames = process.env.BAGROOM_WASM_KEEP_NAMES === "1";
const customName = (s) => {
  const [len, at] = leb(wasm, s.body);
  return wasm.toString("utf8", at, at + len);
};
const dropped = (s) => s.id === 0 && !(keepNames && customName(s) === "name");
const kept = [];
for (const s of sections) {
  if (s === sec) kept.push(Buffer.from([2]), encodeLeb(newBody.length), newBody);
  else if (!dropped(s)) kept.push(wasm.subarray(s.start, s.end));
}
const out = Buffer.concat([wasm.subarray(0, 8), ...kept]);

// read back: the same imports in the same order, each with its new name and the same
// description, and every other section that was kept byte for byte as it was
const back = parseImports(out);
const same =
  back.entries.length === entries.length &&
  back.entries.every((g, i) => g.module === entries[i].module && g.field === (entries[i].short ?? entries[i].field) && g.desc.equals(entries[i].desc)) &&
  back.sections.length === sections.filter((s) => !dropped(s)).length &&
  back.sections.every((b, i) => {
    const s = sections.filter((s) => !dropped(s))[i];
    return b.id === s.id && (s === sec || out.subarray(b.start, b.end).equals(wasm.subarray(s.start, s.end)));
  });
if (!same) fail("the rewritten module does not read back as written");

writeFileSync(wasmPath, out);
writeFileSync(jsPath, glue);
console.log(
  `shrink-wasm: ${renamed.length} imports renamed, ${sections.length - back.sections.length} custom sections dropped; wasm ${wasm.length} -> ${out.length} bytes, glue ${js.length} -> ${glue.length}`,
);
