/** The failover tests (`support/failover-suite.ts`) with node-redis 6's cluster client. */
import { describeFailover } from './support/failover-suite.js';

describeFailover('node-redis 6');
