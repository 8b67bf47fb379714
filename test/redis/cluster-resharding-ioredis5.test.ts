/** The resharding test (`support/resharding-suite.ts`) with ioredis 5's cluster client. */
import { describeResharding } from './support/resharding-suite.js';

describeResharding('ioredis 5');
