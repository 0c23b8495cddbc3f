import type { fr } from './fr.js';

/** Every catalogue has the French one's keys (the type checker holds it; i18n.test.ts checks it at run time too). */
type Shape<T> = { [K in keyof T]: T[K] extends string ? string : Shape<T[K]> };
export type Catalogue = Shape<typeof fr>;
