/** last-run.json and runs.jsonl belong to src/instance (the supervisor reads them too); this path is kept for its importers in test/. */
export * from '../instance/run-record.js';
