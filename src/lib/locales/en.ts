import type { Catalogue } from './catalogue.js';

/** English: for configs with `locale: en`, and the fallback of a key missing in another catalogue. */
export const en: Catalogue = {
  changes: {
    title_one: '{{instance}}: one class changes',
    title_other: '{{instance}}: {{count}} classes change',
    moved: '{{title}} moved: {{from}} → {{to}}',
    cancelled: '{{title}} cancelled ({{when}})',
    added: 'New class: {{title}} ({{when}})',
    room: '{{title}} ({{when}}): room {{from}} → {{to}}',
    teacher: '{{title}} ({{when}}): {{from}} → {{to}}',
    noRoom: 'no room',
    noTeacher: 'no teacher',
    more_one: '… and {{count}} more change',
    more_other: '… and {{count}} more changes',
  },
  digest: {
    title_one: '{{instance}}: tomorrow, {{day}}, one class',
    title_other: '{{instance}}: tomorrow, {{day}}, {{count}} classes',
    line: '{{hours}} {{title}} (room {{room}})',
    lineNoRoom: '{{hours}} {{title}}',
    room: 'room {{room}}',
  },
};
