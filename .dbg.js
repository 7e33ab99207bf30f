const { importModel } = require('./dist/onnx/import');
const { bindShapes } = require('./dist/graph/infer');
const { materializeRecipe } = require('./dist/onnx/recipe');
const r = JSON.parse(require('fs').readFileSync('test/fixtures/models/bert_tiny.recipe.json'));
const g = importModel(materializeRecipe(r, 1));
const { graph } = bindShapes(g, { input_ids: [1, 16], attention_mask: [1, 16] });
const prod = graph.producers();
for (const [k, v] of graph.values) if (!v.shape || !v.shape.every(d => typeof d === 'number')) { const p = prod.get(k); console.log(k, JSON.stringify(v.shape), p && p.opType, p && p.inputs.map(i => JSON.stringify(graph.info(i).shape))); }
