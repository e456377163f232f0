export { devServerFlags } from '../../test/harness/temporal';
