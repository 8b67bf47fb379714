/** The resharding test (`support/resharding-suite.ts`) with node-redis 5's cluster client. */
import { describeResharding } from './support/resharding-suite.js';

describeResharding('node-redis 5');
