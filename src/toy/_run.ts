import { runToySuperposition } from './experiment';
const args = JSON.parse(process.argv[2] ?? '{}');
const t = Date.now();
let last = '';
const r = await runToySuperposition(args, (p) => {
  const s = `${p.nHidden} ${p.stage}`;
  if (s !== last) { console.error(s, ((Date.now() - t) / 1000).toFixed(1)); last = s; }
});
for (const x of r.results) {
  const f = (c: any) => ('error' in c ? c.error : `${c.mean.toFixed(3)}±${c.sem.toFixed(3)} (drop ${c.droppedSource}/${c.droppedTarget})`);
  console.log(`N=${x.nHidden} loss=${x.modelLoss.map((v) => v.toFixed(4))} sae fvu=${x.sae.map((s) => s.fvu.toFixed(3))} L0=${x.sae.map((s) => s.meanL0.toFixed(2))} dead=${x.sae.map((s) => s.deadFraction.toFixed(2))}`);
  console.log(`  neurons semi ${f(x.neurons.semiMatching)} soft ${f(x.neurons.softMatching)} ridge ${x.neurons.ridge ? f(x.neurons.ridge) : '-'}`);
  console.log(`  sae     semi ${f(x.saeLatents.semiMatching)} soft ${f(x.saeLatents.softMatching)} ridge ${x.saeLatents.ridge ? f(x.saeLatents.ridge) : '-'}`);
  console.log(`  gt neurons ${x.groundTruth.neurons.meanBestAbsCorr.map((v) => v.toFixed(3))} sae ${x.groundTruth.saeLatents.meanBestAbsCorr.map((v) => v.toFixed(3))}`);
  console.log(`  overlap mean ${x.overlap.mean.toFixed(3)} median ${x.overlap.median.toFixed(3)} shared ${x.overlap.shared}  ${x.seconds.toFixed(1)}s`);
}
console.log('backend', r.backend, 'total', (Date.now() - t) / 1000);
