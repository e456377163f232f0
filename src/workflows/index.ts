export { holdWorkflowV2 } from './hold';
export { holdWorkflow } from './legacy/hold-v1';
export { orderWorkflow } from './order';
export { sweepWorkflow } from './sweep';
