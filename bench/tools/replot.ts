/**
 * Draws the plot of a bench result file again (after a change to bench/lib/plot.ts):
 *
 *   node --import tsx bench/tools/replot.ts bench/results/latest.json docs/performance.png
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { renderPlot } from '../lib/plot';

const [input = 'bench/results/latest.json', output = 'docs/performance.png'] = process.argv.slice(2);
writeFileSync(output, renderPlot(JSON.parse(readFileSync(input, 'utf8'))));
