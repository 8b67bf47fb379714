import { packageBuild } from '../../tsup.shared.js';

export default packageBuild({ index: 'src/index.ts', 'tabs/index': 'src/tabs.ts' }, [
  'eventsource-parser',
]);
