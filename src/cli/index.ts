export { main, helpText, VERBS } from './main.js';
