// A sink of the job's own whose createWriter refuses an option, as the connectors' writers do (ConnectorOptionError).
import { ConnectorOptionError, defineJob, type SinkSpec } from '../../../../core/index.js';

const refusing: SinkSpec<number> = {
  kind: 'refusing',
  fingerprint: 'refusing',
  createWriter() {
    throw new ConnectorOptionError('refusing sink: batchSize must be a number, got the string "5"');
  },
};

export default defineJob((env) => {
  env.fromCollection([1, 2, 3]).name('numbers').sink(refusing).name('refusing');
});
