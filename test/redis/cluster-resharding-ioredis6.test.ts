/** The resharding test (`support/resharding-suite.ts`) with ioredis 6's cluster client. */
import { describeResharding } from './support/resharding-suite.js';

describeResharding('ioredis 6');
