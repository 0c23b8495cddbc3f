/** errors.log belongs to src/instance (the supervisor writes it too); this path is kept for its importers in test/. */
export * from '../instance/error-file.js';
