export {
  bookingExtension,
  SlotUnavailableError,
  SLOTS_CACHE_MS,
  PROPOSALS_PER_HOUR,
  type BookingExtensionOptions,
  type FetchSlots,
  type CreateBooking,
  type NewBooking,
  type CreatedBooking,
  type NotifyProposal,
  type BookingNotice,
} from './extension.js';
export { createBookingCatalog, type BookingCatalog, type BookingEntry } from './catalog.js';
export { createProposalLog, PROPOSALS_DIR, type StoredProposal, type ProposalLog } from './proposals.js';
export { toSlotDays, type SlotDay } from './slots.js';
