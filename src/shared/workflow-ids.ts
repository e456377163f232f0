/** Workflow ids are business ids, shared by the API (which starts and messages them) and the workflows. */
export const holdWorkflowId = (holdId: number) => `hold-${holdId}`;
export const orderWorkflowId = (orderId: number) => `order-${orderId}`;
