export { holdWorkflow } from './hold';
export { orderWorkflow } from './order';
export { sweepWorkflow } from './sweep';
