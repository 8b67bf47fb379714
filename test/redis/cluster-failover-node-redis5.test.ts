/** The failover tests (`support/failover-suite.ts`) with node-redis 5's cluster client. */
import { describeFailover } from './support/failover-suite.js';

describeFailover('node-redis 5');
