/** French: the default language of alerts and of text written into calendars (DESIGN.md, "French first"). */
export const fr = {
  changes: {
    title_one: '{{instance}} : un cours change',
    title_other: '{{instance}} : {{count}} cours changent',
    moved: '{{title}} déplacé : {{from}} → {{to}}',
    cancelled: '{{title}} annulé ({{when}})',
    added: 'Nouveau cours : {{title}} ({{when}})',
    room: '{{title}} ({{when}}) : salle {{from}} → {{to}}',
    teacher: '{{title}} ({{when}}) : {{from}} → {{to}}',
    noRoom: 'sans salle',
    noTeacher: 'sans enseignant',
    more_one: '… et {{count}} autre changement',
    more_other: '… et {{count}} autres changements',
  },
  digest: {
    title_one: '{{instance}} : demain, {{day}}, un cours',
    title_other: '{{instance}} : demain, {{day}}, {{count}} cours',
    line: '{{hours}} {{title}} (salle {{room}})',
    lineNoRoom: '{{hours}} {{title}}',
    room: 'salle {{room}}',
  },
} as const;
