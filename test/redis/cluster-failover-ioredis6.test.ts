/** The failover tests (`support/failover-suite.ts`) with ioredis 6's cluster client. */
import { describeFailover } from './support/failover-suite.js';

describeFailover('ioredis 6');
