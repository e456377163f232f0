export { holdWorkflowV2 } from './hold';
export { orderWorkflow } from './order';
export { sweepWorkflow } from './sweep';
export { purgeWorkflow } from './purge';
