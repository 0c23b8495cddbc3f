export type { InstanceManager, ManageResult, PasswordCheck, DeleteChoices, DeleteOutcome } from './manager.js';
export { selfPageExtension, SELF_PATH, SELF_LIMITS, type SelfPageOptions, type SelfLimits } from './extension.js';
export { registerOwnerDelete, OWNER_DELETE_PATH, type OwnerDeleteDeps } from './owner-delete.js';
