// Compares aidis's token estimate and two rules of thumb with real tokenizers
// on sample.jsonl (docs/tokens.md). Needs, outside the repository:
//   npm install gpt-tokenizer@4.0.0 @anthropic-ai/tokenizer@0.0.4
// Run: node measure.mjs sample.jsonl estimates.txt   (estimates.txt from estimate.cpp)
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(process.cwd() + '/');
const o200k = require('gpt-tokenizer/cjs/encoding/o200k_base');
const cl100k = require('gpt-tokenizer/cjs/encoding/cl100k_base');
const { countTokens: claudeCount } = require('@anthropic-ai/tokenizer');

const [sampleFile, estimateFile] = process.argv.slice(2);
const items = readFileSync(sampleFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const estimates = readFileSync(estimateFile, 'utf8').split('\n').filter(Boolean).map(Number);
if (items.length !== estimates.length) throw new Error('sample and estimates differ in length');

const methods = {
  aidis: (t, i) => estimates[i],
  chars_div_4: (t) => Math.ceil([...t].length / 4),
  words_x_4_3: (t) => Math.ceil((t.trim().split(/\s+/).filter(Boolean).length * 4) / 3),
};
const references = {
  o200k_base: (t) => o200k.encode(t).length,
  cl100k_base: (t) => cl100k.encode(t).length,
  claude_legacy: (t) => claudeCount(t),
};

const rows = items.map((item, i) => {
  const row = { kind: item.kind, chars: [...item.text].length };
  for (const [name, f] of Object.entries(references)) row[name] = f(item.text);
  for (const [name, f] of Object.entries(methods)) row[name] = f(item.text, i);
  return row;
});

function stats(method, reference, subset) {
  let sumEst = 0, sumRef = 0, sumAbsPct = 0, worst = 0;
  for (const r of subset) {
    sumEst += r[method];
    sumRef += r[reference];
    const pct = Math.abs(r[method] - r[reference]) / r[reference];
    sumAbsPct += pct;
    worst = Math.max(worst, pct);
  }
  return { total_ratio: +(sumEst / sumRef).toFixed(3), mape_pct: +((100 * sumAbsPct) / subset.length).toFixed(1),
           worst_pct: +(100 * worst).toFixed(0) };
}

console.log('per text:');
console.table(rows);
for (const reference of Object.keys(references)) {
  console.log(`\nagainst ${reference} (total ratio = sum of estimates / sum of real tokens; MAPE = mean |error| per text):`);
  const table = {};
  for (const method of Object.keys(methods)) table[method] = stats(method, reference, rows);
  console.table(table);
}
const groups = {};
for (const r of rows) {
  const g = ['french', 'german', 'spanish', 'japanese', 'chinese', 'emoji'].includes(r.kind) ? 'non_english'
          : r.kind.startsWith('code') ? 'code' : ['log', 'json', 'paths', 'identifiers', 'numbers', 'markdown'].includes(r.kind) ? 'technical'
          : 'english_prose';
  (groups[g] ||= []).push(r);
}
console.log('\nby kind of text, against o200k_base (total ratio / MAPE %):');
const byKind = {};
for (const [g, subset] of Object.entries(groups)) {
  byKind[g] = { texts: subset.length };
  for (const method of Object.keys(methods)) {
    const s = stats(method, 'o200k_base', subset);
    byKind[g][method] = `${s.total_ratio} / ${s.mape_pct}`;
  }
}
console.table(byKind);
